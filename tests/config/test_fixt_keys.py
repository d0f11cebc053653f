"""QuickFIX's per-version ``AppDataDictionary.<BeginString>`` keys, and EnableNextExpectedMsgSeqNum on a
BeginString without NextExpectedMsgSeqNum(789): what the configuration accepts and the errors it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfixmsg_plus.cli.main import main
from pyfixmsg_plus.config import ConfigError, ConfigManager
from pyfixmsg_plus.config.app_versions import APPLICATION_VERSIONS, dictionary_version
from pyfixmsg_plus.session.fixt import APPL_VER_DICTIONARIES

FIXT_SESSION = ("[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=9\nSenderCompID=A\nTargetCompID=B\n"
                "SocketConnectPort=9876\n")


def write(tmp_path: Path, text: str, name: str = "fixt.ini") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def dictionary_root(tmp_path: Path, name: str, major: int, minor: int, servicepack: int | None = None) -> Path:
    """A file whose root element declares a version: all the configuration reads of a dictionary."""
    pack = "" if servicepack is None else f' servicepack="{servicepack}"'
    return write(tmp_path, f'<fix type="FIX" major="{major}" minor="{minor}"{pack}>\n <header/>\n</fix>\n', name)


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        ConfigManager(path, environ={})
    return str(caught.value)


# ---------------------------------------------------------------------- AppDataDictionary.<BeginString>
def test_the_suffixes_are_the_application_versions_the_session_layer_knows() -> None:
    assert tuple(APPL_VER_DICTIONARIES.values()) == APPLICATION_VERSIONS


def test_per_version_keys_are_read_in_version_order_beside_the_plain_key(tmp_path: Path) -> None:
    text = FIXT_SESSION + ("AppDataDictionary=spec/FIX50SP2.xml\n"
                           "AppDataDictionary.FIX.5.0SP1=spec/FIX50SP1.xml\n"
                           "appdatadictionary.fix.4.4=spec/FIX44.xml\n")  # fmt: skip
    [settings] = ConfigManager(write(tmp_path, text), environ={}).sessions()
    assert settings.app_data_dictionary == Path("spec/FIX50SP2.xml")  # the plain key keeps its meaning
    assert settings.app_data_dictionaries == (("FIX.4.4", Path("spec/FIX44.xml")),
                                              ("FIX.5.0SP1", Path("spec/FIX50SP1.xml")))  # fmt: skip


def test_a_session_value_replaces_the_default_for_its_version_only(tmp_path: Path) -> None:
    text = ("[DEFAULT]\nAppDataDictionary.FIX.4.4=shared44.xml\nAppDataDictionary.FIX.4.2=shared42.xml\n"
            + FIXT_SESSION + "AppDataDictionary.FIX.4.4=own44.xml\n")  # fmt: skip
    [settings] = ConfigManager(write(tmp_path, text), environ={}).sessions()
    assert dict(settings.app_data_dictionaries) == {"FIX.4.2": Path("shared42.xml"), "FIX.4.4": Path("own44.xml")}


def test_an_empty_per_version_value_is_not_set(tmp_path: Path) -> None:
    [settings] = ConfigManager(write(tmp_path, FIXT_SESSION + "AppDataDictionary.FIX.4.4=\n"), environ={}).sessions()
    assert settings.app_data_dictionaries == ()


def test_from_dict_and_environment_accept_per_version_keys(tmp_path: Path) -> None:
    config = ConfigManager.from_dict({
        "SESSION": [{"BeginString": "FIXT.1.1", "DefaultApplVerID": "9", "SenderCompID": "A", "TargetCompID": "B",
                     "SocketConnectPort": 9876, "AppDataDictionary.FIX.4.2": "code42.xml"}],
    })  # fmt: skip
    assert config.sessions()[0].app_data_dictionaries == (("FIX.4.2", Path("code42.xml")),)
    environ = {"PYFIXMSG_PLUS__SESSION__APPDATADICTIONARY.FIX.4.4": "env44.xml"}
    [settings] = ConfigManager(write(tmp_path, FIXT_SESSION), environ=environ).sessions()
    assert settings.app_data_dictionaries == (("FIX.4.4", Path("env44.xml")),)


@pytest.mark.parametrize("key", ["AppDataDictionary.FIX.4.5", "AppDataDictionary.FIXT.1.1", "AppDataDictionary.9",
                                 "AppDataDictionary."])  # fmt: skip
def test_an_unknown_version_suffix_names_the_key_and_the_valid_suffixes(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, FIXT_SESSION + f"{key}=spec/FIX44.xml\n")
    message = error_of(path)
    assert f"key {key}" in message and "[SESSION #1]" in message and f"{path} line 7" in message
    assert "names no FIX application version; valid suffixes: " + ", ".join(APPLICATION_VERSIONS) in message


def test_a_file_declaring_another_version_is_an_error_naming_both(tmp_path: Path) -> None:
    fix42 = dictionary_root(tmp_path, "FIX42.xml", 4, 2)
    path = write(tmp_path, FIXT_SESSION + f"AppDataDictionary.FIX.4.4={fix42}\n")
    message = error_of(path)
    assert "key AppDataDictionary.FIX.4.4" in message and "[SESSION #1]" in message
    assert f"AppDataDictionary.FIX.4.4 = {fix42} declares FIX.4.2" in message
    assert "not FIX.4.4: name it AppDataDictionary.FIX.4.2 or give a FIX.4.4 dictionary" in message


def test_the_service_pack_tells_fix50_versions_apart(tmp_path: Path) -> None:
    sp1 = dictionary_root(tmp_path, "FIX50SP1.xml", 5, 0, servicepack=1)
    assert dictionary_version(sp1) == "FIX.5.0SP1"
    accepted = write(tmp_path, FIXT_SESSION + f"AppDataDictionary.FIX.5.0SP1={sp1}\n", "good.ini")
    assert ConfigManager(accepted, environ={}).sessions()[0].app_data_dictionaries == (("FIX.5.0SP1", sp1),)
    refused = write(tmp_path, FIXT_SESSION + f"AppDataDictionary.FIX.5.0={sp1}\n", "bad.ini")
    assert f"AppDataDictionary.FIX.5.0 = {sp1} declares FIX.5.0SP1" in error_of(refused)


def test_a_file_that_cannot_be_read_is_left_to_the_engine(tmp_path: Path) -> None:
    # the engine loads it at create() and names the key (tests/session/test_fixt_versions.py)
    assert dictionary_version(tmp_path / "missing.xml") is None
    assert dictionary_version(write(tmp_path, "<notfix major='4' minor='4'/>", "other.xml")) is None
    path = write(tmp_path, FIXT_SESSION + f"AppDataDictionary.FIX.4.4={tmp_path / 'missing.xml'}\n")
    assert ConfigManager(path, environ={}).sessions()[0].app_data_dictionaries[0][0] == "FIX.4.4"


def test_per_version_key_on_a_fix4_session_without_data_dictionary_is_an_error(tmp_path: Path) -> None:
    text = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=9876\n"
    message = error_of(write(tmp_path, text + "AppDataDictionary.FIX.4.4=spec/FIX44.xml\n"))
    assert "key AppDataDictionary.FIX.4.4" in message
    assert "AppDataDictionary.FIX.4.4 = spec/FIX44.xml is set on session FIX.4.4:A->B without DataDictionary" in message


def test_config_check_reports_a_mismatched_file_with_file_section_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix42 = dictionary_root(tmp_path, "FIX42.xml", 4, 2)
    path = write(tmp_path, FIXT_SESSION + f"AppDataDictionary.FIX.4.4={fix42}\n")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(path) in err and "[SESSION #1]" in err
    assert "key AppDataDictionary.FIX.4.4" in err and "declares FIX.4.2" in err


# ---------------------------------------------------------------------- EnableNextExpectedMsgSeqNum
@pytest.mark.parametrize("begin", ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3"])
def test_next_expected_before_fix44_is_reported_by_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], begin: str
) -> None:
    text = (f"[DEFAULT]\nEnableNextExpectedMsgSeqNum=Y\n[SESSION]\nBeginString={begin}\nSenderCompID=A\n"
            "TargetCompID=B\nSocketConnectPort=9876\n")  # fmt: skip
    path = write(tmp_path, text)
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "[SESSION #1]" in err and "key EnableNextExpectedMsgSeqNum" in err
    assert (
        "EnableNextExpectedMsgSeqNum = Y needs BeginString FIX.4.4 or FIXT.1.1: NextExpectedMsgSeqNum(789) is "
        f"not in the Logon of {begin}" in err
    )


@pytest.mark.parametrize("begin", ["FIX.4.4", "FIXT.1.1"])
def test_next_expected_on_fix44_and_fixt_passes_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], begin: str
) -> None:
    fixt = "DefaultApplVerID=9\n" if begin == "FIXT.1.1" else ""
    text = (f"[SESSION]\nBeginString={begin}\n{fixt}SenderCompID=A\nTargetCompID=B\nSocketConnectPort=9876\n"
            "EnableNextExpectedMsgSeqNum=Y\n")  # fmt: skip
    path = write(tmp_path, text)
    assert main(["config", "check", str(path)]) == 0
    assert ConfigManager(path, environ={}).sessions()[0].enable_next_expected_msg_seq_num


def test_get_and_set_take_per_version_keys_in_any_case(tmp_path: Path) -> None:
    config = ConfigManager(write(tmp_path, FIXT_SESSION + "AppDataDictionary.FIX.4.4=first44.xml\n"), environ={})
    config.set("SESSION", "appdatadictionary.fix.4.4", "second44.xml")  # the same setting: replaced
    config.set("SESSION", "AppDataDictionary.FIX.4.2", "own42.xml")
    assert config.get("SESSION", "AppDataDictionary.FIX.4.4") == "second44.xml"
    assert config.get("SESSION", "AppDataDictionary.FIX.5.0") is None
    assert config.sessions()[0].app_data_dictionaries == (("FIX.4.2", Path("own42.xml")),
                                                          ("FIX.4.4", Path("second44.xml")))  # fmt: skip
    with pytest.raises(ConfigError, match=r"valid suffixes: FIX\.4\.0"):
        config.set("SESSION", "AppDataDictionary.FIX.6.0", "x.xml")

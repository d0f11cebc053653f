"""AppDataDictionary on a FIX.4.x session: QuickFIX reads it on FIXT.1.1 sessions only, so a FIX.4.x session with
it and no DataDictionary would silently use the built-in dictionary; the configuration refuses that."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfixmsg_plus.cli.main import main
from pyfixmsg_plus.config import ConfigError, ConfigManager

SESSION = "[SESSION]\nBeginString={begin}\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=9876\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dictionaries.ini"
    path.write_text(text)
    return path


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4"])
def test_app_data_dictionary_alone_on_a_fix4_session_is_an_error_naming_key_session_and_fix(
    tmp_path: Path, begin: str
) -> None:
    path = write(tmp_path, SESSION.format(begin=begin) + "AppDataDictionary=spec/FIX44.xml\n")
    with pytest.raises(ConfigError) as caught:
        ConfigManager(path)
    message = str(caught.value)
    for fragment in ("[SESSION #1]", "key AppDataDictionary", str(path), f"session {begin}:A->B", "spec/FIX44.xml",
                     "AppDataDictionary is for FIXT.1.1 sessions; use DataDictionary"):
        assert fragment in message


def test_app_data_dictionary_from_default_names_the_fix4_session_it_reaches(tmp_path: Path) -> None:
    text = "[DEFAULT]\nAppDataDictionary=spec/FIX50SP2.xml\n" + SESSION.format(begin="FIX.4.4")
    with pytest.raises(ConfigError, match=r"\[SESSION #1\].*AppDataDictionary is for FIXT\.1\.1 sessions"):
        ConfigManager(write(tmp_path, text))


def test_app_data_dictionary_on_a_fixt_session_is_accepted(tmp_path: Path) -> None:
    text = SESSION.format(begin="FIXT.1.1") + "DefaultApplVerID=9\nAppDataDictionary=spec/FIX50SP2.xml\n"
    assert ConfigManager(write(tmp_path, text)).sessions()[0].app_data_dictionary == Path("spec/FIX50SP2.xml")


def test_a_fix4_session_with_its_own_data_dictionary_may_inherit_app_data_dictionary(tmp_path: Path) -> None:
    # a [DEFAULT] AppDataDictionary meant for FIXT sessions does not matter where DataDictionary is given
    text = ("[DEFAULT]\nAppDataDictionary=spec/FIX50SP2.xml\n" + SESSION.format(begin="FIX.4.4")
            + "DataDictionary=spec/FIX44.xml\n")
    assert ConfigManager(write(tmp_path, text)).sessions()[0].data_dictionary == Path("spec/FIX44.xml")


def test_config_check_reports_app_data_dictionary_on_a_fix4_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, SESSION.format(begin="FIX.4.4") + "AppDataDictionary=spec/FIX44.xml\n")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "AppDataDictionary is for FIXT.1.1 sessions; use DataDictionary" in err

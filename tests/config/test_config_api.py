"""The original API (get/set/save_config/get_message_store_type), the schema's consistency, docs and CLI."""

from __future__ import annotations

import dataclasses
import io
import os
import stat
from pathlib import Path

import pytest

from pyfixmsg_plus.cli.main import main
from pyfixmsg_plus.config import ConfigError, ConfigManager, SessionSettings, generate_key, schema
from pyfixmsg_plus.config.reference import render_markdown
from pyfixmsg_plus.config.secrets import KEY_ENV_VAR

ROOT = Path(__file__).resolve().parents[2]
COMMENTED = """\
# my exchange connection
[FIX]
sender = A   # ours
target = B
port = 5000
heartbeat_interval = 30  # seconds

[Scheduler]
schedules = []
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "cfg.ini"
    path.write_text(COMMENTED)
    return path


def test_get_any_spelling_and_fallback(ini: Path) -> None:
    config = ConfigManager(ini, environ={})
    assert config.get("FIX", "sender") == "A"
    assert config.get("fix", "SenderCompID") == "A"
    assert config.get("FIX", "SessionQualifier", fallback="none") == "none"
    assert config.get("NoSuchSection", "x", fallback="f") == "f"
    with pytest.raises(ConfigError, match="did you mean"):
        config.get("FIX", "sendr")


def test_session_section_falls_back_to_default() -> None:
    config = ConfigManager.from_string(
        "[DEFAULT]\nHeartBtInt=12\n[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=1\n",
        environ={},
    )
    assert config.get("SESSION", "HeartBtInt") == "12"
    assert config.get("FIX.4.4:A->B", "SenderCompID") == "A"


def test_set_then_save_keeps_comments_and_other_lines(ini: Path) -> None:
    config = ConfigManager(ini, environ={})
    config.set("FIX", "heartbeat_interval", 15)
    config.set("FIX", "ResetOnLogon", True)
    config.set("DEFAULT", "UseUvloop", False)
    assert config.sessions()[0].heart_bt_int == 15
    config.save_config()
    text = ini.read_text()
    assert "# my exchange connection" in text and "sender = A   # ours" in text
    assert (
        "heartbeat_interval = 15" in text
        and "ResetOnLogon = Y" in text
        and "[DEFAULT]\nUseUvloop = N" in text
    )
    reread = ConfigManager(ini, environ={})
    assert reread.sessions()[0].heart_bt_int == 15 and reread.sessions()[0].reset_on_logon
    assert reread.engine_settings().use_uvloop is False


def test_set_rejects_unknown_key_and_rolls_back_bad_values(ini: Path) -> None:
    config = ConfigManager(ini, environ={})
    with pytest.raises(ConfigError, match="did you mean"):
        config.set("FIX", "hearbeat_interval", 10)
    with pytest.raises(ConfigError, match="key heartbeat_interval = 'abc'"):
        config.set("FIX", "heartbeat_interval", "abc")
    assert config.get("FIX", "heartbeat_interval") == "30"
    assert config.sessions()[0].heart_bt_int == 30


def test_from_dict_config_saves_to_a_new_file(tmp_path: Path) -> None:
    config = ConfigManager.from_dict({"FIX": {"sender": "A", "target": "B", "port": 1}}, environ={})
    with pytest.raises(ConfigError, match="needs a path"):
        config.save_config()
    written = config.save_config(tmp_path / "new.ini")
    assert ConfigManager(written, environ={}).sessions() == config.sessions()


def test_get_message_store_type(ini: Path) -> None:
    config = ConfigManager(ini, environ={})
    assert config.get_message_store_type() == "database"
    assert config.get_message_store_type(fallback="memory") == "memory"
    config.set("FIX", "message_store_type", "aiosqlite")
    assert config.get_message_store_type() == "aiosqlite"


def test_schema_and_settings_fields_match() -> None:
    session_keys = {k.attr for k in schema.KEYS if k.scope is schema.Scope.SESSION}
    fields = {f.name for f in dataclasses.fields(SessionSettings)}
    # both gather numbered/versioned spellings: SocketConnectHost<n>, AppDataDictionary.<BeginString>
    assert fields - session_keys == {"failover_addresses", "app_data_dictionaries"}
    assert session_keys <= fields


def test_every_alias_resolves_to_its_key() -> None:
    for key in schema.KEYS:
        for spelling in (key.name, key.name.upper(), *key.aliases):
            found = schema.lookup(spelling)
            assert found is not None and found.key is key


def test_every_default_parses() -> None:
    for key in schema.KEYS:
        if key.default is not None:
            key.converter.parse(key.default)


def test_docs_are_generated_from_the_schema() -> None:
    docs = ROOT / "docs" / "configuration.md"
    assert docs.read_text() == render_markdown(), (
        "run: pyfixmsg-plus config reference > docs/configuration.md"
    )
    for key in schema.KEYS:
        assert f"`{key.name}`" in docs.read_text()


def test_original_import_path() -> None:
    from pyfixmsg_plus.fixengine.configmanager import ConfigManager as Original

    assert Original is ConfigManager


def test_cli_config_check_ok_and_error(ini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(ini)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: {ini}: 1 session") and "FIX.4.4:A->B" in out and "127.0.0.1:5000" in out
    bad = tmp_path / "bad.ini"
    bad.write_text("[FIX]\nsender=A\ntarget=B\nport=abc\n")
    assert main(["config", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"error: {bad} line 4, section [FIX], key port = 'abc'" in err


def test_cli_encrypt_decrypt_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, generate_key())
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    assert main(["encrypt"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ENC:") and "hunter2" not in token
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    assert main(["decrypt"]) == 0
    assert capsys.readouterr().out.strip() == "hunter2"
    monkeypatch.setenv(KEY_ENV_VAR, generate_key())
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    assert main(["decrypt"]) == 1
    assert f"environment variable {KEY_ENV_VAR}" in capsys.readouterr().err


def test_cli_encrypt_without_key_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    monkeypatch.delenv("PYFIXMSG_PLUS_SECRET_KEY_FILE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["encrypt"]) == 1
    assert "no secret key" in capsys.readouterr().err


def test_cli_generate_key_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "secret.key"
    assert main(["encrypt", "--generate-key", "--output", str(key_file)]) == 0
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert main(["encrypt", "--generate-key", "--output", str(key_file)]) == 1  # never overwrites a key
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    assert main(["encrypt", "--key-file", str(key_file)]) == 0
    assert "ENC:" in capsys.readouterr().out

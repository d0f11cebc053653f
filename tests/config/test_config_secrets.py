"""ENC: secrets: Fernet round trip, key sources, wrong keys, and masking in reprs, logs and errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.config import ConfigError, ConfigManager, Secret, SecretError, generate_key
from pyfixmsg_plus.config.errors import Location
from pyfixmsg_plus.config.secrets import (
    KEY_ENV_VAR,
    KEY_FILE_ENV_VAR,
    decrypt,
    encrypt,
    find_key,
    key_from_text,
)

PLAIN = "s3cr3t-pa55"
KEY = generate_key()
OTHER_KEY = generate_key()


def session_text(password: str) -> str:
    return f"[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=1\nPassword={password}\n"


def encrypted(value: str = PLAIN, key: str = KEY) -> str:
    return encrypt(value, key_from_text(key, "test"))


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=64))
def test_encrypt_then_decrypt_gives_the_value_back(value: str) -> None:
    key = key_from_text(KEY, "test")
    token = encrypt(value, key)
    assert token.startswith("ENC:")
    assert decrypt(token, key, Location("t")) == value


def test_secret_is_masked_everywhere_but_reveal() -> None:
    secret = Secret(PLAIN)
    assert PLAIN not in repr(secret) and PLAIN not in str(secret) and PLAIN not in f"{secret}"
    assert secret.reveal() == PLAIN
    assert secret == Secret(PLAIN) and secret != Secret("other")


def test_enc_password_is_decrypted_with_the_env_key(caplog: pytest.LogCaptureFixture) -> None:
    config = ConfigManager.from_string(session_text(encrypted()), environ={KEY_ENV_VAR: KEY})
    (session,) = config.sessions()
    assert isinstance(session.password, Secret) and session.password.reveal() == PLAIN
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings %s %r", session, session)
    assert PLAIN not in caplog.text and PLAIN not in repr(session) and PLAIN not in repr(config)


def test_key_file_from_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text(KEY + "\n")
    config = ConfigManager.from_string(session_text(encrypted()), environ={KEY_FILE_ENV_VAR: str(key_file)})
    assert config.sessions()[0].password == Secret(PLAIN)


def test_wrong_key_names_its_source_and_not_the_secret() -> None:
    with pytest.raises(SecretError) as caught:
        ConfigManager.from_string(session_text(encrypted()), "cfg.ini", environ={KEY_ENV_VAR: OTHER_KEY})
    message = str(caught.value)
    assert f"environment variable {KEY_ENV_VAR}" in message
    assert "cfg.ini line 5" in message and "key Password" in message
    assert PLAIN not in message and OTHER_KEY not in message


def test_missing_key_says_where_to_put_one() -> None:
    with pytest.raises(SecretError, match=f"no secret key is set.*{KEY_ENV_VAR}"):
        ConfigManager.from_string(session_text(encrypted()), environ={})


def test_malformed_key_names_its_source(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match=f"environment variable {KEY_ENV_VAR}: is not a valid secret key"):
        find_key({KEY_ENV_VAR: "not-a-key"})
    with pytest.raises(SecretError, match="cannot read the secret key file"):
        find_key({KEY_FILE_ENV_VAR: str(tmp_path / "absent.key")})


def test_plain_password_is_still_a_secret_and_never_in_errors() -> None:
    (session,) = ConfigManager.from_string(session_text(PLAIN), environ={}).sessions()
    assert session.password == Secret(PLAIN) and PLAIN not in repr(session)
    with pytest.raises(ConfigError) as caught:
        ConfigManager.from_string(session_text(PLAIN) + "password=other\n", environ={})
    assert PLAIN not in str(caught.value) and "other" not in str(caught.value)


def test_get_decrypts_on_request_and_set_encrypts(tmp_path: Path) -> None:
    path = tmp_path / "cfg.ini"
    path.write_text(session_text(encrypted()))
    config = ConfigManager(path, environ={KEY_ENV_VAR: KEY})
    assert config.get("SESSION", "Password").startswith("ENC:")  # type: ignore[union-attr]
    assert config.get("SESSION", "password", decrypt_value=True) == PLAIN
    config.set("SESSION", "Password", "new-one", encrypt_value=True)
    config.save_config()
    assert "new-one" not in path.read_text()
    reread = ConfigManager(path, environ={KEY_ENV_VAR: KEY})
    assert reread.sessions()[0].password == Secret("new-one")


def test_set_encrypt_without_key_is_an_error() -> None:
    config = ConfigManager.from_string(session_text(PLAIN), environ={})
    with pytest.raises(SecretError, match="needs a secret key"):
        config.set("SESSION", "Password", "x", encrypt_value=True)

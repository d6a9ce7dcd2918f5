import stat
import sys
import unicodedata
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from yomitoru.env import database_from_url, env_bool, env_int, env_list
from yomitoru.keys import KEYFILE_NAME, ensure_keyfile, load_keys, read_keyfile
from yomitoru.logs import redact


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("off", False)])
def test_env_bool_reads_common_spellings(raw: str, expected: bool) -> None:
    assert env_bool("X", not expected, environ={"X": raw}) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "ja"])
def test_env_bool_fails_loudly(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="X must be a boolean"):
        env_bool("X", False, environ={"X": raw})


def test_env_int_checks_type_and_minimum() -> None:
    assert env_int("N", 3, environ={}) == 3
    assert env_int("N", 3, environ={"N": " 7 "}) == 7
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("N", 3, environ={"N": "seven"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 3, minimum=1, environ={"N": "0"})


def test_env_list_splits_on_commas() -> None:
    assert env_list("L", ["a"], environ={"L": "x, y,,z"}) == ["x", "y", "z"]
    assert env_list("L", ["a"], environ={}) == ["a"]


def test_database_url() -> None:
    db = database_from_url("postgresql://user:p%40ss@db.example:6543/yomi")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "yomi",
        "user",
        "p@ss",
        "db.example",
        "6543",
    )
    with pytest.raises(ImproperlyConfigured, match="postgresql://"):
        database_from_url("mysql://host/db")
    with pytest.raises(ImproperlyConfigured, match="name a database"):
        database_from_url("postgresql://host/")


def test_keyfile_is_created_private_and_kept(tmp_path: Path) -> None:
    path = ensure_keyfile(tmp_path)
    assert path.name == KEYFILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = read_keyfile(path)
    ensure_keyfile(tmp_path)
    assert read_keyfile(path) == first, "an existing keyfile must never be regenerated"
    keys = load_keys(tmp_path, debug=False, environ={})
    assert keys["SECRET_KEY"] == first["SECRET_KEY"]
    assert len(keys["FIELD_ENCRYPTION_KEYS"]) == 1


def test_production_refuses_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="Missing keys"):
        load_keys(tmp_path, debug=False, environ={})
    assert not (tmp_path / KEYFILE_NAME).exists(), "DEBUG off must not invent keys"


def test_debug_generates_missing_keys(tmp_path: Path) -> None:
    load_keys(tmp_path, debug=True, environ={})
    assert (tmp_path / KEYFILE_NAME).exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "django-insecure-" + "x" * 60, "SECRET_KEY is weak"),
        ("SECRET_KEY", "short", "SECRET_KEY is weak"),
        ("INDEX_HMAC_KEY", "tooshort", "INDEX_HMAC_KEY is weak"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key", "32-byte Fernet"),
        ("FILE_ENCRYPTION_KEYS", "", "Missing keys"),
    ],
)
def test_weak_keys_refuse_to_start(tmp_path: Path, name: str, value: str, message: str) -> None:
    stored = read_keyfile(ensure_keyfile(tmp_path))
    environ = {**stored, name: value}
    if value == "":
        (tmp_path / KEYFILE_NAME).unlink()
        environ.pop(name)
    with pytest.raises(ImproperlyConfigured, match=message):
        load_keys(tmp_path, debug=False, environ=environ)


@pytest.mark.parametrize(
    "text",
    [
        "番号 123456789018 です",
        "1234 5678 9018",
        "1234-5678-9018",
        "7000012050002",
        # Missed by the old pattern: other separators, full width, longer runs, wrong check digit.
        "0069－6736－2709",
        "0069.6736.2709",
        "0069/6736/2709",
        "0069  6736  2709",
        "００６９６７３６２７０９",
        "12006967362709",
        "123456789012",
    ],
)
def test_log_redaction_removes_number_runs(text: str) -> None:
    redacted = redact(text)
    normal = unicodedata.normalize("NFKC", redacted.replace("[redacted-number]", ""))
    assert not any(ch.isdigit() for ch in normal)


def test_log_formatter_redacts_message_and_traceback_but_keeps_the_time() -> None:
    import logging

    from yomitoru.logs import RedactingFormatter

    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(message)s")
    try:
        raise ValueError("bad value 0069.6736.2709")
    except ValueError:
        record = logging.LogRecord(
            "ocr", logging.ERROR, __file__, 1, "read %s", ("0069 6736 2709",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "6736" not in line
    # The message, the source line in the traceback, the exception's own message.
    assert line.count("[redacted-number]") == 3
    # The timestamp, a run of 17 digits once its separators are read through, stays.
    assert line.startswith(formatter.formatTime(record))


def test_log_redaction_keeps_short_numbers() -> None:
    assert redact("document 42 page 3 took 1234 ms") == "document 42 page 3 took 1234 ms"


def test_every_log_record_is_redacted_at_creation(caplog) -> None:
    import logging

    with caplog.at_level(logging.INFO):
        logging.getLogger("ocr.anything").info("value %s read", "1234 5678 9018")
    assert caplog.records[-1].getMessage() == "value [redacted-number] read"

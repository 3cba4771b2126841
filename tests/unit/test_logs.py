import json
import logging

from adapters.logs import JsonFormatter
from bot.database import redact


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("deskmate", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_logs_carry_the_request_id_users_see() -> None:
    line = JsonFormatter().format(_record("answered", request_id="ab12cd34", platform="slack"))

    data = json.loads(line)
    assert data["message"] == "answered"
    assert data["request_id"] == "ab12cd34"
    assert data["platform"] == "slack"
    assert data["level"] == "INFO"


def test_database_urls_are_logged_without_their_password() -> None:
    assert redact("postgresql://bot:hunter2@db:5432/kb") == "postgresql://bot:***@db:5432/kb"
    assert redact("postgresql://bot@db/kb") == "postgresql://bot@db/kb"
    assert redact("host=db password=hunter2 dbname=kb") == "host=db password=*** dbname=kb"
    assert redact("host=db password='hunt er2' dbname=kb") == "host=db password=*** dbname=kb"
    assert redact("postgresql:///kb?host=/run&password=hunter2") == (
        "postgresql:///kb?host=/run&password=***"
    )

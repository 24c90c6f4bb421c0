"""How every `conduct` command logs: INFO by default, one line per event, as text or as JSON for log shippers."""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each line (so a redirected stderr is followed)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger and the message (ids and code names, never text)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        return json.dumps(line, sort_keys=True)


def configure(level: str = "INFO", form: str = "text") -> None:
    """Send the app's and the server's log lines to stderr, in one format; stdout stays the command's output."""
    handler = _Stderr()
    handler.setFormatter(JsonLines() if form == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    # Replace only what an earlier call installed: a host's own handlers (a test runner's) stay.
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]
    root.setLevel(level)
    # Third-party chatter (HTTP clients, mail) stays at WARNING: its lines could carry URLs or addresses.
    for noisy in ("httpx", "httpcore", "aiosmtplib", "mail.log", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for server in ("uvicorn", "uvicorn.error"):
        logging.getLogger(server).handlers[:] = []
        logging.getLogger(server).propagate = True


def uvicorn_config() -> dict:
    """uvicorn keeps the handlers configured above instead of installing its own."""
    return {"version": 1, "disable_existing_loggers": False}

"""Logging: INFO by default as one line per event, JSON for log shippers, and the public URL follows the port."""
from __future__ import annotations

import json
import logging

from app.entry import logs
from app.entry.cli import build_parser, main
from app.entry.serve import with_public_url


def test_json_lines_carry_time_level_logger_and_message(capsys):
    logs.configure("INFO", "json")
    logging.getLogger("conduct.worker").info("done delivery=%s event=%s", "d-1", "issues")
    logging.getLogger("conduct.worker").debug("not at INFO")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["level"], r["logger"], r["message"]) for r in lines] == [
        ("INFO", "conduct.worker", "done delivery=d-1 event=issues")]
    assert lines[0]["time"].endswith("+00:00")
    logs.configure("WARNING", "text")
    logging.getLogger("conduct.worker").info("quiet now")
    assert capsys.readouterr().err == ""


def test_every_command_logs_at_info_by_default_and_the_level_can_be_chosen(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("CONDUCT_LOG_LEVEL", raising=False)
    assert build_parser().parse_args(["status"]).log_level is None  # main() makes it INFO, WARNING for the demo
    monkeypatch.chdir(tmp_path)
    assert main(["--log-level", "debug", "--log-format", "json", "policy", "check", str(tmp_path / "none")]) == 1
    assert logging.getLogger().level == logging.DEBUG


def test_the_public_url_follows_the_port_unless_it_is_set():
    assert with_public_url({}, "127.0.0.1", 8123)["CONDUCT_PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert with_public_url({}, "0.0.0.0", 9000)["CONDUCT_PUBLIC_URL"] == "http://127.0.0.1:9000"
    set_ = {"CONDUCT_PUBLIC_URL": "https://desk.example.org"}
    assert with_public_url(set_, "0.0.0.0", 9000) == set_

"""A person's mistakes at the command line: each expected failure is one plain line on stderr, no traceback."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "policy")


def _conduct(args, env, cwd) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONDUCT_", "GITHUB_"))}
    return subprocess.run([sys.executable, "-m", "app.entry.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, timeout=120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """`conduct sandbox github` on a free port, as an operator would start it."""
    home = tmp_path_factory.mktemp("standin")
    port, key = _free_port(), home / "app-key.pem"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCT_")}
    server = subprocess.Popen([sys.executable, "-m", "app.entry.cli", "sandbox", "github", "--port", str(port),
                               "--app-key-file", str(key)], cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{api}/_sandbox/state", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield api, key.read_text()
    finally:
        server.terminate()
        server.wait(10)


def _user_token(api: str, login: str) -> str:
    """A user token from the stand-in's web flow, as `gh auth login` would give a person."""
    answer = httpx.get(f"{api}/login/oauth/authorize", params={"client_id": "Iv1.local", "state": "s",
                                                               "redirect_uri": "http://x/cb", "login": login})
    code = re.search(r"code=([^&]+)", answer.headers["location"]).group(1)
    return httpx.post(f"{api}/login/oauth/access_token", headers={"Accept": "application/json"},
                      data={"client_id": "Iv1.local", "client_secret": "local-secret", "code": code}
                      ).json()["access_token"]


MISSING_SETTINGS = "set CONDUCT_GITHUB_API_URL, CONDUCT_APP_ID, CONDUCT_APP_PRIVATE_KEY"


def _cases(api: str, key: str, token: str):
    app = {"CONDUCT_GITHUB_API_URL": f"{api}/", "CONDUCT_APP_ID": "4242", "CONDUCT_APP_PRIVATE_KEY": key,
           "CONDUCT_POLICY_DIR": POLICY}
    return [
        # a missing setting
        (["sweep"], {}, MISSING_SETTINGS),
        (["cases"], {}, MISSING_SETTINGS),
        (["status"], {}, MISSING_SETTINGS),
        (["poll", "open", "C-2026-001"], {}, MISSING_SETTINGS),
        (["serve"], {}, "conduct serve needs: CONDUCT_GITHUB_API_URL"),
        (["setup", "--check"], {}, "needs CONDUCT_SETUP_TOKEN"),
        (["sweep"], {**app, "CONDUCT_SMTP_HOST": "mail.example", "CONDUCT_SMTP_TLS": "maybe"}, "CONDUCT_SMTP_TLS"),
        # the wrong token scope
        (["setup", "--check", "--dir", POLICY], {"CONDUCT_SETUP_TOKEN": token, "CONDUCT_GITHUB_API_URL": f"{api}/"},
         "must be an organisation owner's token"),
        # a missing directory or file
        (["policy", "check", "/nonexistent/policy"], {}, "no policy directory at /nonexistent/policy"),
        (["policy", "render", "/nonexistent/policy"], {}, "no policy directory at /nonexistent/policy"),
        (["sanction", "show", "C-2026-001-d1"], {**app, "CONDUCT_POLICY_DIR": "/nonexistent"},
         "no policy directory at /nonexistent"),
        (["demo", "--dir", "/nonexistent"], {}, "no policy directory at /nonexistent"),
        (["poll", "recount", "/nonexistent/result.json"], {}, "/nonexistent/result.json"),
        # an unknown id
        (["sanction", "show", "C-2026-999-d1"], app, "C-2026-999-d1: no such decision"),
        (["sanction", "apply", "--dry-run", "C-2026-999-d1"], app, "C-2026-999-d1: no such decision"),
        # a malformed value
        (["report", "--from", "March", "--to", "April", "--demo"], {}, "dates are YYYY-MM-DD"),
    ]


def test_each_commands_expected_failure_is_one_line_without_a_traceback(standin, tmp_path):
    api, key = standin
    token = _user_token(api, "mediator-1")  # a member, not an organisation owner
    for args, env, expected in _cases(api, key, token):
        done = _conduct(args, env, tmp_path)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode != 0, (args, done.stderr)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert len(lines) == 1, (args, done.stderr)
        assert expected in lines[0], (args, lines[0])
        assert "-----BEGIN" not in done.stderr and token not in done.stderr


def test_defaults_agree_and_advice_names_flags_that_exist(tmp_path):
    # sanction show/apply use the same SQLite default as every other command (no KeyError without the URL).
    from app.entry.cli import build_parser
    from app.setup import checks

    source = Path(checks.__file__).read_text(encoding="utf-8")
    for flag in set(re.findall(r"pass (--[a-z-]+)", source)):
        help_text = build_parser()._subparsers._group_actions[0].choices["setup"].format_help()
        assert flag in help_text, flag
    done = _conduct(["--version"], {}, tmp_path)
    assert done.returncode == 0 and re.match(r"conduct \S+", done.stdout)
    rendered = _conduct(["policy", "render", POLICY, "--out", str(tmp_path / "docs" / "policy.md")], {}, tmp_path)
    assert rendered.returncode == 0 and (tmp_path / "docs" / "policy.md").read_text().startswith("#")

"""Database fixtures: `database_url` runs a test on SQLite (a temp file) and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("CONDUCT_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _admin_conninfo(url: str) -> str:
    """A libpq URL for psycopg from any accepted store URL form."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temp dir, listening on 127.0.0.1 only, with a random password."""

    def __init__(self, bin_dir: Path = PG_BIN, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="conduct-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.password = secrets.token_urlsafe(16)
        # As root the server must run as the `postgres` user; otherwise as whoever runs the tests.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256",
                  f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        if not self.durable:
            # A test cluster lives for one session: skip the disk flushes (benchmarks keep them).
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options)
        return self.url

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin_dir / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server_url():
    """A PostgreSQL server URL able to CREATE DATABASE: $CONDUCT_TEST_POSTGRES_URL or a throwaway one."""
    if url := os.environ.get("CONDUCT_TEST_POSTGRES_URL"):
        yield url
        return
    if not (PG_BIN / "initdb").exists():
        _unavailable(f"no {PG_BIN / 'initdb'} and CONDUCT_TEST_POSTGRES_URL is not set")
    server = ThrowawayPostgres()
    try:
        try:
            url = server.start()
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")[-500:]
            _unavailable(f"could not start a throwaway cluster: {exc} {detail}")
        yield url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    admin = _admin_conninfo(postgres_server_url)
    name = "conduct_test_" + secrets.token_hex(6)
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _unavailable(f"cannot connect to the test server: {exc}")
    yield _with_database(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        # FORCE: a test that failed mid-way may leave connections open.
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """A store URL for an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conduct.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    """An opened (migrated) store on `database_url`, closed after the test."""
    from app.store import open_store

    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def mailbox():
    """A real SMTP server on a local port, keeping what it accepts (see tests/smtp_box.py)."""
    from smtp_box import Mailbox

    box = Mailbox().start()
    yield box
    box.stop()

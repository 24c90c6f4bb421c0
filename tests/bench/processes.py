"""Start one of `servers.py`'s servers in its own process, wait until it listens, stop it afterwards."""
from __future__ import annotations

import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

SERVERS = Path(__file__).resolve().parent / "servers.py"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(kind: str, *args: str, timeout: float = 600):
    """Yield the server's base URL; the process is terminated on exit (it listens on 127.0.0.1 only)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(SERVERS), kind, str(port), *args], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the {kind} server did not start (exit {process.poll()})")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

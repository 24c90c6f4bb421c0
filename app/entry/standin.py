"""`conduct sandbox github`: the local GitHub stand-in as a server on loopback, seeded from the policy."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from cryptography.hazmat.primitives import serialization

from app.standin import SandboxState, create_app
from app.wiring.local import APP_ID, app_key, install, seed
from app.wiring.policy_files import load_policy


def _key(path: Path) -> tuple[str, str]:
    if path.exists():
        private = path.read_text()
        key = serialization.load_pem_private_key(private.encode(), password=None)
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return private, public
    private, public = app_key()
    # The key file is a secret: readable by its owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(private)
    return private, public


def run_sandbox(port: int, webhook_url: str | None, webhook_secret: str | None, app_key_file: str,
                policy_dir: Path) -> int:
    policy = load_policy(policy_dir)
    state = SandboxState()
    seed(state, policy)
    _, public = _key(Path(app_key_file))
    state.register_app(APP_ID, public, slug="conduct-desk", client_id="Iv1.local", client_secret="local-secret")
    install(state, policy)
    api = f"http://127.0.0.1:{port}/"
    print("GitHub stand-in on", api, file=sys.stderr)
    print(f"For `conduct serve`: CONDUCT_GITHUB_API_URL={api} CONDUCT_APP_ID={APP_ID} "
          f"CONDUCT_APP_PRIVATE_KEY=\"$(cat {app_key_file})\" CONDUCT_OAUTH_CLIENT_ID=Iv1.local "
          f"CONDUCT_OAUTH_CLIENT_SECRET=local-secret CONDUCT_OIDC_ISSUER={api.rstrip('/')}/_services/token",
          file=sys.stderr)
    app = create_app(state, webhook_url=webhook_url, webhook_secret=webhook_secret)
    # Loopback only: the stand-in's control endpoints have no authentication.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    return 0

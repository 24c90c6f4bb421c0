"""GitHub sign-in for the service's pages: the App's OAuth web flow, through githubkit."""
from __future__ import annotations

from urllib.parse import urlencode

import httpx
from githubkit import GitHub, OAuthWebAuthStrategy


def web_root(api_url: str) -> str:
    """Where people sign in: github.com for the public API, the host root for Enterprise Server or the
    stand-in (githubkit finds the token endpoint the same way)."""
    url = httpx.URL(api_url)
    if url.host in ("api.github.com", "github.com"):
        return "https://github.com/"
    return str(url.copy_with(raw_path=b"/"))


def authorize_url(api_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{web_root(api_url)}login/oauth/authorize?{query}"


async def login_from_code(api_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str,
                          transport: httpx.AsyncBaseTransport | None = None) -> str:
    """Exchange the callback's code for a user token and return the signed-in login. The token is used
    once, here, and never stored: the pages only need to know who is signed in."""
    strategy = OAuthWebAuthStrategy(client_id, client_secret, code, redirect_uri)
    async with GitHub(strategy, base_url=api_url, timeout=10.0, auto_retry=False,
                      async_transport=transport) as github:
        response = await github.rest.users.async_get_authenticated()
        return response.parsed_data.login

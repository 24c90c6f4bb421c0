"""GitHub sign-in for the service's pages: the App's OAuth web flow, through githubkit."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from githubkit import GitHub, OAuthWebAuthStrategy
from githubkit.exception import RequestFailed


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


# What the sign-in sends with the person's token (the manifest's permissions include what these need).
OPERATIONS = ("users/get-authenticated", "users/list-emails-for-authenticated-user")


@dataclass(frozen=True)
class SignedIn:
    login: str
    email: str | None  # the verified primary address, when GitHub lets the App read it


async def login_from_code(api_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str,
                          transport: httpx.AsyncBaseTransport | None = None) -> str:
    """The signed-in login only (see `signed_in_from_code`)."""
    return (await signed_in_from_code(api_url, client_id, client_secret, code, redirect_uri, transport,
                                      with_email=False)).login


async def signed_in_from_code(api_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str,
                              transport: httpx.AsyncBaseTransport | None = None,
                              with_email: bool = True) -> SignedIn:
    """Exchange the callback's code for a user token; the login, and the person's verified primary e-mail for
    notices. The token is used here, once, and never stored.

    GET /user/emails needs the App's "Email addresses" user permission (read) for a GitHub App user token
    (an OAuth App's token would need the `user:email` scope); without it GitHub answers 403 or 404 and the
    person simply has no address yet."""
    strategy = OAuthWebAuthStrategy(client_id, client_secret, code, redirect_uri)
    async with GitHub(strategy, base_url=api_url, timeout=10.0, auto_retry=False,
                      async_transport=transport) as github:
        login = (await github.rest.users.async_get_authenticated()).parsed_data.login
        if not with_email:
            return SignedIn(login, None)
        try:
            emails = (await github.rest.users.async_list_emails_for_authenticated_user(per_page=100)).parsed_data
        except RequestFailed as error:
            if error.response.status_code not in (403, 404):
                raise
            return SignedIn(login, None)
        primary = next((e.email for e in emails if e.primary and e.verified), None)
        return SignedIn(login, primary)

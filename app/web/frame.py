"""The frame every page of the service shares: a heading, the body, a way home, and error pages in plain words."""
from __future__ import annotations

import html

from markdown_it import MarkdownIt
from starlette.responses import HTMLResponse

from app.web.style import CSS

# Raw HTML off: Markdown from a mediator or a template can only ever become plain, safe elements.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable("linkify").enable("table")
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def markdown(text: str) -> str:
    """Markdown as safe HTML (no raw HTML, no script links)."""
    return _MARKDOWN.render(text)


def page(title: str, body: str, status: int = 200, signed_in: bool = False) -> HTMLResponse:
    """A whole page. `body` is trusted HTML built by the caller with every variable part escaped."""
    leave = ("<form method=\"post\" action=\"/logout\" class=\"signout\"><button type=\"submit\">Sign out</button>"
             "</form>") if signed_in else ""
    doc = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"referrer\" "
           "content=\"no-referrer\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>{html.escape(title)} · Conduct Desk</title><style>{CSS}</style></head><body>"
           f"<header><nav aria-label=\"Site\"><a href=\"/\">Conduct Desk</a> <a href=\"/policy\">Policy</a>"
           f"</nav>{leave}</header><main>{body}</main></body></html>")
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


def error_page(title: str, what: str, way_on: tuple[str, str] = ("/", "Go to the start page"), status: int = 400,
               signed_in: bool = False) -> HTMLResponse:
    """An error in plain words: a heading, what happened, and a link to go on from here."""
    href, label = way_on
    return page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(what)}</p>"
                f"<p><a href=\"{html.escape(href)}\">{html.escape(label)}</a></p>", status, signed_in)

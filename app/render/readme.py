"""The README's generated blocks (stage diagram, command table), drawn from the tables the code uses."""
from __future__ import annotations

from pathlib import Path

from app.core.commands import VERBS
from app.core.stages import mermaid


def blocks() -> dict[str, str]:
    rows = [f"| `{v.usage}` | {', '.join(sorted(v.roles))} | {v.summary} |" for v in VERBS.values()]
    return {
        "stages": f"```mermaid\n{mermaid()}\n```",
        "commands": "| command | who | what it does |\n|---|---|---|\n" + "\n".join(rows),
    }


def extract(text: str, name: str) -> str | None:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        return None
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def rewrite(path: Path) -> list[str]:
    """Rewrite every generated block in `path`; return the names of blocks the file lacks."""
    text = path.read_text(encoding="utf-8")
    missing = []
    for name, block in blocks().items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        if begin not in text or end not in text:
            missing.append(name)
            continue
        head, rest = text.split(begin, 1)
        text = f"{head}{begin}\n{block}\n{end}{rest.split(end, 1)[1]}"
    path.write_text(text, encoding="utf-8")
    return missing

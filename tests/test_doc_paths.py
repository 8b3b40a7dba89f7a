"""Every `hmip/...` path and `hmip.x.y` module or name the documentation mentions exists, so the docs
cannot point at code that has moved (README.md, CONTRIBUTING.md and docs/*.md)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

PATH = re.compile(r"(?<![\w./-])hmip/[A-Za-z0-9_./*<>-]*")
DOTTED = re.compile(r"(?<![\w./-])hmip(?:\.[A-Za-z_][A-Za-z0-9_]*)+\*?")


def mentions() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in PATH.finditer(text):
            found.append((doc.name, m.group(0).rstrip(".,;:)")))
        for m in DOTTED.finditer(text):
            found.append((doc.name, m.group(0)))
    return sorted(set(found))


def path_exists(mention: str) -> bool:
    """A path exists; a placeholder (``<report>``) or a glob matches at least one file."""
    if "<" in mention:
        mention = re.sub(r"<[^>]*>", "*", mention)
    if "*" in mention:
        return any(ROOT.glob(mention))
    return (ROOT / mention).exists()


def name_exists(mention: str) -> bool:
    """The longest importable module prefix, then attributes; ``x_*`` or ``x_`` is a family of names."""
    prefix_only = mention.endswith("*") or mention.endswith("_")
    parts = mention.rstrip("*").split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        rest = parts[i:]
        for j, name in enumerate(rest):
            last = j == len(rest) - 1
            if last and prefix_only:
                return any(a.startswith(name) for a in dir(obj))
            if not hasattr(obj, name):
                try:  # a submodule not imported by its package
                    obj = importlib.import_module(f"{obj.__name__}.{name}")
                    continue
                except (ImportError, AttributeError):
                    return False
            obj = getattr(obj, name)
        return True
    return False


MENTIONS = mentions()


def test_the_docs_mention_code():
    assert len(MENTIONS) > 20


@pytest.mark.parametrize(("doc", "mention"), MENTIONS, ids=[f"{d}:{m}" for d, m in MENTIONS])
def test_every_path_and_module_the_docs_name_exists(doc, mention):
    if "/" in mention:
        assert path_exists(mention), f"{doc} names {mention}, which does not exist"
    else:
        assert name_exists(mention), f"{doc} names {mention}, which cannot be imported"

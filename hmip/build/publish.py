"""Publishing a run atomically: files and links are replaced by renames, and old runs are pruned."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def atomic_symlink(target: str, link: Path) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def prune_runs(out: Path, keep: int) -> list[str]:
    runs = sorted(
        p for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", p.name)
    )
    removed = []
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old)
        removed.append(old.name)
    return removed

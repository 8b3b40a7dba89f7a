"""File locations, resolved from the project root, never from the current working directory.

nbval and papermill start kernels in different working directories, so notebooks ask hmip for
paths. Set ``HMIP_PROJECT_ROOT`` to point at another checkout or data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

#: the environment variable naming a build's folder for results its processes share (set by the
#: builder for its run: :mod:`hmip.analyses.cache`); unset outside a build
SHARED_MEMO_ENV = "HMIP_SHARED_MEMO"


def project_root() -> Path:
    env = os.environ.get("HMIP_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return project_root() / "data"


def reports_dir() -> Path:
    return project_root() / "reports"


def resolve(path: str | os.PathLike | None, default: Path | None = None) -> Path | None:
    """An absolute path: relative paths are taken from the project root."""
    if path is None or str(path) == "":
        return default
    p = Path(path).expanduser()
    return p if p.is_absolute() else project_root() / p

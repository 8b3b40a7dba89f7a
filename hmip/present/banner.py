"""The banner at the top of every report, and the project version and commit. No pandas here, so the
report runner's worker processes stay small."""

from __future__ import annotations

import html
import os
import subprocess
from datetime import UTC, datetime
from importlib import metadata

from hmip.paths import project_root

PROVENANCE_MIME = "application/vnd.hmip.provenance+json"


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def project_version() -> str:
    try:
        return metadata.version("hmip-analytics")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


#: The packages whose versions every report, manifest and build log records.
MAIN_PACKAGES = (
    "hmip-analytics",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
    "ipykernel",
    "jupyter_client",
)


def package_versions() -> dict[str, str]:
    """Python and the main packages' installed versions, e.g. ``{"python": "3.11.9", "pandas": ...}``."""
    import platform

    versions = {"python": platform.python_version()}
    for name in MAIN_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def versions_text(versions: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def _git(*args: str) -> str:
    """What ``git <args>`` prints in the project's folder, stripped."""
    return subprocess.run(
        ["git", *args], cwd=project_root(), capture_output=True, text=True, timeout=5
    ).stdout.strip()


#: set by a build's warm process for every report it runs: the commit, found once for the build (the
#: builder's own banner replaces each report's; each report asked git twice for it: issue 25)
COMMIT_ENV = "HMIP_BUILD_COMMIT"


def git_commit() -> str:
    """The project's commit (short), with "+uncommitted changes" when tracked files differ from it;
    "unknown" outside a git checkout. In a build's reports, the build's (:data:`COMMIT_ENV`)."""
    given = os.environ.get(COMMIT_ENV)
    if given:
        return given
    try:
        out = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        return (out or "unknown") + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def banner_html(
    prov: dict,
    *,
    title: str = "",
    parameters: dict | None = None,
    generated_at: str | None = None,
    version: str | None = None,
    commit: str | None = None,
    versions: dict[str, str] | None = None,
) -> str:
    """The banner at the top of every report: the title, then a small table of what the report is built
    on (files, their basis and checksums), the disclosure rule, when and by what it was generated, and the
    settings for analysts. A report on simulated data says so first, in words."""
    generated_at = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<header class='hmip-banner'>"]
    if title:
        parts.append(f"<h1>{esc(title)}</h1>")
    if prov.get("simulated"):
        parts.append(
            "<p class='hmip-simulated'><strong>Simulated case data.</strong> HMIP does not publish its "
            "inspected cases, so the case-level figures here come from a simulated sample made to agree "
            "with HMIP's published ratings. They show how the analysis works; they are not facts about any "
            "PDU's cases. Figures built on them are marked <span class='hmip-sim-tag'>simulated</span>.</p>"
        )
    files = "; ".join(
        f"<span class='hmip-file'>{esc(s['name'])}</span> ({esc(s['basis'])}, "
        f"SHA-256 {esc(s['sha256'][:12])}&hellip;)"
        for s in prov.get("sources", [])
    )
    rows = [
        ("Built on", files or "no data files"),
        ("Disclosure control", esc(prov.get("disclosure") or "no counts of people are shown")),
        (
            "Generated",
            f"{esc(generated_at)} by hmip-analytics {esc(version or project_version())} "
            f"(commit {esc(commit or git_commit())})",
        ),
    ]
    if versions:
        rows.append(
            ("Software", ", ".join(f"<code>{esc(k)}</code> {esc(v)}" for k, v in versions.items()))
        )
    if parameters:
        rows.append(
            (
                "Settings (for analysts)",
                "; ".join(f"<code>{esc(k)}</code> = {esc(v)}" for k, v in parameters.items()),
            )
        )
    parts.append(
        "<table><tbody>"
        + "".join(f"<tr><th scope='row'>{k}</th><td>{v}</td></tr>" for k, v in rows)
        + "</tbody></table></header>"
    )
    return "".join(parts)

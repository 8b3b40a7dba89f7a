"""The banner at the top of every report, and the project version and commit. No pandas here, so the
report runner's worker processes stay small."""

from __future__ import annotations

import html
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


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=project_root(),
            capture_output=True,
            text=True,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=project_root(),
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return (out.stdout.strip() or "unknown") + ("+uncommitted changes" if dirty else "")
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
    """The banner at the top of every report: title, parameters, data basis with checksums, disclosure rule,
    generation time (UTC), version and commit. A report on simulated data says so first, in words."""
    generated_at = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<header class='hmip-banner' role='banner'>"]
    if prov.get("simulated"):
        parts.append(
            "<p class='hmip-simulated'><strong>SIMULATED DATA.</strong> This report is built on a simulated "
            "case sample made to agree with HMIP's published ratings. It shows how the analysis works; it is "
            "NOT evidence about any real PDU's cases.</p>"
        )
    if title:
        parts.append(f"<p class='hmip-title'><strong>{esc(title)}</strong></p>")
    parts.append("<dl>")
    if parameters:
        parts.append(
            "<dt>Parameters</dt><dd>"
            + "; ".join(f"{esc(k)} = {esc(v)}" for k, v in parameters.items())
            + "</dd>"
        )
    parts.append(
        f"<dt>Data basis</dt><dd>{esc(', '.join(prov.get('bases', [])) or 'unknown')}<ul>"
        + "".join(
            f"<li>{esc(s['name'])} ({esc(s['basis'])}), SHA-256 <code>{esc(s['sha256'][:16])}</code>&hellip;</li>"
            for s in prov.get("sources", [])
        )
        + "</ul></dd>"
    )
    parts.append(
        f"<dt>Disclosure control</dt><dd>{esc(prov.get('disclosure') or 'no counts of people shown')}</dd>"
    )
    parts.append(
        f"<dt>Generated</dt><dd>{esc(generated_at)}; hmip-analytics {esc(version or project_version())}, "
        f"commit {esc(commit or git_commit())}</dd>"
    )
    if versions:
        parts.append(f"<dt>Software</dt><dd>{esc(versions_text(versions))}</dd>")
    parts.append("</dl></header>")
    return "".join(parts)

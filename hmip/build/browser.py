"""Headless Chromium for looking at what the reports show: screenshots and print-to-PDF.

Used by ``make screenshots``, the print tests (page budgets) and the benchmark. Chromium is not
needed to build reports (the scrutiny pack's PDF is made by WeasyPrint); where it is absent these
functions raise :class:`BrowserUnavailable` and the tests skip with that reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from hmip.errors import HmipError

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class BrowserUnavailable(HmipError):
    """Headless Chromium is not installed (Debian packages chromium and chromium-driver)."""


def chromium() -> str:
    path = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if not path:
        raise BrowserUnavailable(
            "headless Chromium is not installed (Debian packages chromium and chromium-driver; "
            ".ci/run installs them)"
        )
    return path


def _run(args: list[str], target: Path, timeout: int = 120) -> Path:
    with tempfile.TemporaryDirectory(prefix="hmip-chromium-") as profile:
        cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if not target.is_file() or target.stat().st_size == 0:
        raise HmipError(f"Chromium did not write {target}")
    return target


def print_to_pdf(page: Path, pdf: Path) -> Path:
    """Print an HTML page to PDF as a reader's browser would (the page's own @page size; no headers)."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    return _run(
        [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", Path(page).resolve().as_uri()], pdf
    )


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 900) -> Path:
    """The first screen of a page, as a reader opening it would see it."""
    png.parent.mkdir(parents=True, exist_ok=True)
    return _run(
        [f"--screenshot={png}", f"--window-size={width},{height}", Path(page).resolve().as_uri()],
        png,
    )


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def blank_pages(pdf: Path) -> list[int]:
    """1-based numbers of pages with no text and no image."""
    from pypdf import PdfReader

    blank = []
    for i, page in enumerate(PdfReader(str(pdf)).pages, start=1):
        has_text = bool((page.extract_text() or "").strip())
        has_image = bool(getattr(page, "images", []))
        if not (has_text or has_image):
            blank.append(i)
    return blank


def pdf_pages_to_png(
    pdf: Path, prefix: Path, *, first: int = 1, last: int = 2, dpi: int = 60
) -> list[Path]:
    """Render PDF pages to PNG with poppler's pdftoppm (as a reader's printout would look)."""
    exe = shutil.which("pdftoppm")
    if not exe:
        raise BrowserUnavailable("pdftoppm is not installed (Debian package poppler-utils)")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [exe, "-png", "-r", str(dpi), "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


def screenshots(reports: Path, out: Path, *, print_pages: int = 2) -> list[Path]:
    """For every published page: the first screen (PNG), the A4 printout (PDF) and its first pages (PNG);
    for every PDF in the run (the scrutiny pack), its pages (PNG)."""
    made = []
    run_pages = [p for p in reports.glob("*.html") if p.name != "index.html"]  # the index: once
    for page in sorted([reports.parent / "index.html", *run_pages]):
        if not page.is_file():
            continue
        made.append(screenshot(page, out / f"{page.stem}-screen.png"))
        pdf = print_to_pdf(page, out / f"{page.stem}-print.pdf")
        made += pdf_pages_to_png(pdf, out / f"{page.stem}-print", last=print_pages)
    for pdf in sorted(reports.glob("*.pdf")):
        made += pdf_pages_to_png(pdf, out / pdf.stem, last=999)
    return made


if __name__ == "__main__":  # python -m hmip.build.browser REPORTS_RUN_DIR OUT_DIR
    import sys

    run_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/latest").resolve()
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "reports/screenshots")
    files = screenshots(run_dir, target)
    print(f"{len(files)} files in {target}: open the PNGs and read them as a councillor would")

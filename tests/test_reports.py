"""The report runner: catalogue validation, parallel build, atomic publishing, failure injection, HTML quality."""

import html
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from hmip.build.build import build
from hmip.build.catalogue import load_catalogue, validate_jobs
from hmip.errors import CatalogueError

from .conftest import build_command, snapshot, tiny_catalogue, write_catalogue

TINY = "tests/fixtures/tiny.ipynb"


def test_default_catalogue_fans_out_over_the_london_pdus(root):
    jobs, settings = load_catalogue(root / "reports.toml")
    names = [j.name for j in jobs]
    assert len([n for n in names if n.startswith("sample-size-")]) == 6
    assert "sample-size-lewisham-and-bromley" in names and settings.kernel == "hmip"
    validate_jobs(jobs)  # every parameter is known and well typed


def test_the_index_group_is_declared_in_the_catalogue_not_inferred_from_a_parameter_name(tmp_path):
    """A report fanned out over a region's PDUs is listed under "Each PDU" whatever its parameter is
    called; any entry may say where it goes; "each PDU" needs a fan-out to name the PDU."""
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "by-unit-{{unit_slug}}"
        title = "By unit {{unit}}"
        notebook = "{TINY}"
        fan_out = {{ parameter = "unit", region = "London" }}
        [[report]]
        name = "listed-{{message}}"
        title = "Listed {{message}}"
        notebook = "{TINY}"
        fan_out = {{ parameter = "message", values = ["a", "b"] }}
        [[report]]
        name = "per-pdu-{{message_slug}}"
        title = "Per PDU {{message}}"
        notebook = "{TINY}"
        group = "each PDU"
        fan_out = {{ parameter = "message", values = ["Lambeth"] }}
        [[report]]
        name = "single"
        title = "Single"
        notebook = "{TINY}"
        """,
    )
    jobs, _ = load_catalogue(cat)
    groups = {j.name: (j.group, j.subject) for j in jobs}
    assert groups["by-unit-lambeth"] == ("each PDU", "Lambeth")
    assert groups["listed-a"] == ("analysts", "a") and groups["single"] == ("analysts", "")
    assert groups["per-pdu-lambeth"] == ("each PDU", "Lambeth")
    bad = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "x"
        title = "X"
        notebook = "{TINY}"
        group = "each PDU"
        """,
        "bad.toml",
    )
    with pytest.raises(CatalogueError, match="needs fan_out"):
        load_catalogue(bad)
    bad.write_text(bad.read_text().replace('"each PDU"', '"sometimes"'))
    with pytest.raises(CatalogueError, match="accepted: each PDU, region, analysts"):
        load_catalogue(bad)


def test_the_index_lists_a_report_by_its_group(monkeypatch):
    from hmip.build import index
    from hmip.build.results import JobResult

    monkeypatch.setattr(index, "_ratings_at_a_glance", lambda region: ("", ["Lambeth", "Croydon"]))
    meta = {"generated_at": "2026-01-01 00:00:00 UTC", "version": "0", "commit": "c"}
    results = [
        JobResult(
            "u-lambeth",
            "Unit Lambeth",
            {"unit": "Lambeth"},
            ok=True,
            group="each PDU",
            subject="Lambeth",
        ),
        JobResult("p-croydon", "Analyst view", {"pdu": "Croydon"}, ok=True),
    ]
    page = index.index_html("RUN", results, meta)
    each_pdu = page[page.index("<h2>Each PDU</h2>") : page.index("Reports for analysts")]
    analysts = page[page.index("Reports for analysts") :]
    assert 'href="RUN/u-lambeth.html"' in each_pdu and "p-croydon" not in each_pdu
    assert 'href="RUN/p-croydon.html"' in analysts


def test_unknown_parameters_and_wrong_types_are_refused_before_anything_runs(tmp_path):
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "a"
        title = "A"
        notebook = "{TINY}"
        parameters = {{ mesage = "x", count = "three" }}
    """,
    )
    out = tmp_path / "out"
    with pytest.raises(CatalogueError) as err:
        build(cat, out=out)
    assert "unknown parameter 'mesage'" in str(err.value) and "'count' must be int" in str(
        err.value
    )
    assert not out.exists()
    r = subprocess.run(build_command(cat, out), capture_output=True, text=True)
    assert (
        r.returncode == 2
        and "Traceback" not in r.stderr
        and "refused before anything ran" in r.stderr
    )


def test_list_runs_nothing(tmp_path, capsys):
    status, summary = build(tiny_catalogue(tmp_path), list_only=True, out=tmp_path / "out")
    assert status == 0 and len(summary.specs) == 2 and not (tmp_path / "out").exists()
    assert "tiny-two" in capsys.readouterr().out


@pytest.mark.e2e
def test_a_failed_report_leaves_published_reports_byte_identical(tmp_path):
    out = tmp_path / "reports"
    status, first = build(tiny_catalogue(tmp_path), out=out, jobs=2)
    assert (
        status == 0
        and (out / "index.html").is_file()
        and (out / "latest").resolve().name == first.run_id
    )
    before = snapshot(out)
    latest_before = (out / "latest").resolve()
    status, failed = build(tiny_catalogue(tmp_path, fail=True, name="bad.toml"), out=out, jobs=2)
    assert status == 1
    assert snapshot(out) == before and (out / "latest").resolve() == latest_before
    kept = Path(failed.failed_dir) / "tiny-two.ipynb"
    assert kept.is_file() and "injected failure" in kept.read_text()
    log = Path(failed.log).read_text()
    assert str(kept) in log and "nothing was published" in log
    # the CLI gives a non-zero status and names the kept notebook
    r = subprocess.run(
        build_command(tmp_path / "bad.toml", out, "--only", "tiny-two"),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "tiny-two.ipynb" in r.stdout and snapshot(out) == before


@pytest.mark.e2e
def test_old_runs_are_pruned_and_the_lock_stops_a_second_build(tmp_path):
    import fcntl

    out = tmp_path / "reports"
    cat = tiny_catalogue(tmp_path, keep=1)
    build(cat, out=out, jobs=2, only=["tiny-one"])
    status, second = build(cat, out=out, jobs=2, only=["tiny-one"])
    runs = [p.name for p in out.iterdir() if re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", p.name)]
    assert status == 0 and runs == [second.run_id]
    with (out / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        status, _ = build(cat, out=out, only=["tiny-one"])
    assert status == 3


@pytest.mark.e2e
def test_index_lists_every_report_with_title_parameters_status_time_and_link(built, root):
    out, summary = built
    index = (out / "index.html").read_text()
    jobs, settings = load_catalogue(root / "reports.toml")
    reports = summary.reports()
    assert [r.name for r in reports] == [j.name for j in jobs]
    assert len(summary.results) == len(jobs) + len(settings.packs)  # and the scrutiny packs
    assert index.index("Scrutiny pack") < index.index("Ratings at a glance")  # linked first
    for j in jobs:
        assert (
            f'href="{summary.run_id}/{j.name}.html"' in index
            and html.escape(j.title, quote=True) in index
        )
        assert (out / summary.run_id / f"{j.name}.html").is_file()
    # readers first: the region's ratings as badges, a line per PDU linking to its pages, then the analysts'
    assert (
        index.index("Ratings at a glance")
        < index.index("Each PDU")
        < index.index("Reports for analysts")
    )
    assert (
        index.count("badge-size-letter") >= 6 * 10
    )  # six PDUs, nine standards and the overall rating
    assert "<strong>Lewisham and Bromley</strong>" in index
    assert index.count("<td>built</td>") == 2 and re.search(
        r"<td class='num'>\d+\.\d s</td>", index
    )
    assert '<html lang="en">' in index


@pytest.mark.e2e
def test_every_report_has_the_banner_hidden_code_and_is_self_contained(built):
    out, summary = built
    for r in summary.reports():  # the pack has its own cover and tests (tests/test_pack.py)
        page = Path(r.html).read_text()
        head = page[: page.index("</header>")]
        assert (
            "Simulated case data" in head
            and "Disclosure control" in head
            and "Generated" in head
            and "UTC" in head
        )
        assert "simulated_cases_london_2022.csv" in head and "SHA-256" in head and "commit" in head
        assert r.title in html.unescape(head) and "Settings (for analysts)" in head
        assert (
            "<script" not in page and "import hmip" not in page and "display.show" not in page
        )  # code hidden
        assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page) and "@import" not in page
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
        imgs = re.findall(r"<img [^>]*>", page)
        assert imgs and all(
            re.search(r'alt="[^"]{20,}"', i) and 'src="data:image/png;base64,' in i for i in imgs
        )
        levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", page)]
        assert levels[0] == 1 and all(
            b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)
        )  # headings in order
        assert '<html lang="en">' in page and "@media print" in page


@pytest.mark.e2e
def test_data_strings_are_escaped_in_the_html(tmp_path, root):
    evil = "<script>alert(1)</script>"
    src = (
        (root / "data" / "simulated_cases_london_2022.csv")
        .read_text()
        .replace("Lewisham and Bromley", evil)
    )
    cases = tmp_path / "analyst_cases.csv"
    cases.write_text(src.replace('"<script>alert(1)</script>"', evil))
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "evil"
        title = "Escaping check {evil}"
        notebook = "notebooks/sample_size_sensitivity.ipynb"
        parameters = {{ pdu = "{evil}", cases_path = "{cases}", ratings_path = "data/simulated_standard_ratings_london_2022.csv" }}
    """,
    )
    status, summary = build(cat, out=tmp_path / "out", jobs=1)
    assert status == 0, summary
    page = Path(summary.results[0].html).read_text()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    assert "analyst-supplied" in page
    index = (tmp_path / "out" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in index


def test_scheduled_workflow_parses_and_calls_the_same_command(root):
    import yaml

    wf = yaml.safe_load((root / ".github" / "workflows" / "reports.yml").read_text())
    assert "schedule" in wf[True] or "schedule" in wf.get("on", {})
    steps = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any("make report" in s for s in steps)
    assert any(
        "upload-artifact" in s.get("uses", "") for job in wf["jobs"].values() for s in job["steps"]
    )
    readme = (root / "README.md").read_text()
    assert "make report" in readme.splitlines()[3] or readme.index("make report") < 200
    assert (
        tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]["hmip"]
        == "hmip.cli:main"
    )


@pytest.mark.browser
@pytest.mark.e2e
def test_reports_open_offline_in_headless_chromium(built, tmp_path):
    import json
    import shutil

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip(
            "headless Chromium is not installed (Debian packages chromium and chromium-driver; .ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    out, summary = built
    opts = Options()
    opts.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1280,1800",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        pages = [out / "index.html"] + [Path(r.html) for r in summary.results]
        for page in pages:
            driver.get(page.as_uri())
            assert driver.title, page
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], (page.name, errors)
            urls = [
                json.loads(e["message"])["message"]
                .get("params", {})
                .get("request", {})
                .get("url", "")
                for e in driver.get_log("performance")
            ]
            remote = [
                u for u in urls if u and not u.startswith(("file:", "data:", "about:", "chrome"))
            ]
            assert remote == [], (page.name, remote)
            if page.name != "index.html" and not page.name.startswith("scrutiny-pack"):
                assert driver.execute_script("return document.images.length") > 0
                assert driver.execute_script(
                    "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0 && i.alt.length > 0)"
                )
        shots = tmp_path / "shots"
        shots.mkdir()
        for page in (pages[0], pages[1]):
            driver.get(page.as_uri())
            target = shots / f"{page.stem}.png"
            driver.save_screenshot(str(target))
            assert target.stat().st_size > 10_000
    finally:
        driver.quit()


@pytest.mark.e2e
def test_a_report_over_its_time_limit_fails_and_publishes_nothing(tmp_path):
    cat = write_catalogue(
        tmp_path,
        f"""
        [settings]
        timeout = 3
        [[report]]
        name = "slow"
        title = "Slow"
        notebook = "{TINY}"
        parameters = {{ sleep_seconds = 30.0 }}
    """,
    )
    out = tmp_path / "reports"
    start = __import__("time").perf_counter()
    status, summary = build(cat, out=out, jobs=1)
    assert status == 1 and __import__("time").perf_counter() - start < 25
    result = summary.results[0]
    assert not result.ok and ("Timeout" in result.error or "timed out" in result.error), (
        result.error
    )
    assert (Path(summary.failed_dir) / "slow.ipynb").is_file()
    assert not (out / "index.html").exists() and not (out / "latest").exists()


def test_schedule_runs_the_longest_first(tmp_path):
    import json as _json

    from hmip.build.build import schedule
    from hmip.build.catalogue import Job

    jobs = [Job("a", "A", TINY), Job("b", "B", TINY, fanned_out=True), Job("c", "C", TINY)]
    assert [j.name for j in schedule(jobs, tmp_path)] == [
        "a",
        "c",
        "b",
    ]  # no history: single reports first
    run = tmp_path / "run1"
    run.mkdir()
    (run / "manifest.json").write_text(
        _json.dumps(
            {
                "results": [
                    {"name": "a", "seconds": 1},
                    {"name": "b", "seconds": 9},
                    {"name": "c", "seconds": 5},
                ]
            }
        )
    )
    (tmp_path / "latest").symlink_to("run1")
    assert [j.name for j in schedule(jobs, tmp_path)] == ["b", "c", "a"]

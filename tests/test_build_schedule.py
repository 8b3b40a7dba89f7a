"""The builder's job order with no previous run (LPT by kind): packs, single reports, then fan-outs
over few values before fan-outs over many."""

from hmip.build.build import schedule
from hmip.build.catalogue import Job


def test_without_history_packs_then_singles_then_small_fan_outs(tmp_path):
    jobs = [
        Job("single-1", "S1", "one.ipynb"),
        *[Job(f"many-{i}", "M", "many.ipynb", fanned_out=True) for i in range(3)],
        Job("single-2", "S2", "two.ipynb"),
        Job("few-0", "F", "few.ipynb", fanned_out=True),
        Job("pack", "P", "", pack=True),
    ]
    assert [j.name for j in schedule(jobs, tmp_path)] == [
        "pack",
        "single-1",
        "single-2",
        "few-0",
        "many-0",
        "many-1",
        "many-2",
    ]


def test_the_default_catalogue_starts_with_the_pack_and_ends_with_sample_size(tmp_path):
    from hmip.build.catalogue import load_catalogue, pack_jobs
    from hmip.paths import project_root

    jobs, settings = load_catalogue(project_root() / "reports.toml")
    order = [j.name for j in schedule(jobs + pack_jobs(settings), tmp_path)]
    assert order[0].startswith("scrutiny-pack")
    assert order.index("audit-progress-lewisham-and-bromley") < min(
        i for i, n in enumerate(order) if n.startswith("sample-size-")
    )


def test_the_pack_starts_on_an_early_worker_while_the_warm_process_imports(tmp_path):
    """With two workers or more, a worker forked before the warm imports builds the scrutiny pack (on
    the core the imports leave idle), then stops; the reports run on the warm workers."""
    import io
    import json
    from pathlib import Path

    from hmip.build.build import build

    from .conftest import tiny_catalogue

    cat = tiny_catalogue(tmp_path, extra='[[pack]]\nregion = "London"\n')
    status, summary = build(cat, out=tmp_path / "reports", jobs=2, stream=io.StringIO())
    assert status == 0
    log = Path(summary.log).read_text()
    early = [ln for ln in log.splitlines() if "forked before the warm imports" in ln]
    assert len(early) == 1
    assert log.index(early[0]) < log.index("warm process")  # before the warm imports were done
    run = Path(summary.run_dir)
    entries = {r["name"]: r for r in json.loads((run / "manifest.json").read_text())["results"]}
    assert all(r["ok"] for r in entries.values()) and len(entries) == 3
    assert (run / "scrutiny-pack-london.pdf").is_file()

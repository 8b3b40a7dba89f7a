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

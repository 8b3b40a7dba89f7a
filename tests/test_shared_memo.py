"""Results shared between a build's processes (issue 25): the scrutiny pack's worker and the reports
run in different processes and compute some of the same figures; whichever computes one first writes
it to the run's private folder, keyed on its content, and the others read it.

Checked here: a value written by one process is read by another; what is read equals what is
computed without the memo; a changed input gets its own key (never the stale entry); an entry that
cannot be read is computed again; outside a build nothing is written.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from hmip.analyses import cache
from hmip.paths import SHARED_MEMO_ENV, project_root


@pytest.fixture
def shared(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    monkeypatch.setenv(SHARED_MEMO_ENV, str(folder))
    monkeypatch.delenv("HMIP_NO_CACHE", raising=False)
    cache.clear()
    yield folder
    cache.clear()


def _cases(pdu: str = "Lambeth") -> pd.DataFrame:
    from hmip.data import loaders as d

    cases = d.load_cases(None)
    return cases[cases["pdu"] == pdu]


def test_a_result_written_by_one_process_is_read_by_another(shared):
    cases = _cases()
    mine = cache.correlated_distribution(cases, "2.1", draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_writes"] == 1
    assert len(list(shared.glob("*.pickle"))) == 1
    # another process (as a report forked in the same build would be) reads it, and says so
    code = textwrap.dedent(
        """
        import pickle, sys
        from hmip.analyses import cache
        from hmip.data import loaders as d
        cases = d.load_cases(None)
        cases = cases[cases["pdu"] == "Lambeth"].reset_index(drop=True)  # other row labels
        got = cache.correlated_distribution(cases, "2.1", n_new=len(cases), draws=2000, seed=7,
                                            framework=None)
        sys.stdout.buffer.write(pickle.dumps((got, dict(cache.STATS))))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        cwd=project_root(),
        env={**__import__("os").environ, SHARED_MEMO_ENV: str(shared)},
    ).stdout
    theirs, stats = pickle.loads(out)
    assert stats["shared_hits"] == 1 and stats["misses"] == 0
    pd.testing.assert_frame_equal(theirs, mine)


def test_what_is_shared_equals_what_is_computed_without_the_memo(shared, monkeypatch):
    from hmip.stats.sampling_bands import standard_rating_distribution

    cases = _cases("Newham")
    shared_value = cache.correlated_distribution(cases, "2.3", draws=2000, seed=3, framework=None)
    cache.clear()  # this process forgets it: the next call reads the folder
    read_back = cache.correlated_distribution(cases, "2.3", draws=2000, seed=3, framework=None)
    assert cache.STATS["shared_hits"] == 1
    direct = standard_rating_distribution(cases, "2.3", correlated=True, draws=2000, seed=3)
    pd.testing.assert_frame_equal(shared_value, direct)
    pd.testing.assert_frame_equal(read_back, direct)


def test_a_changed_input_is_never_served_the_stale_entry(shared):
    cases = _cases()
    first = cache.correlated_distribution(cases, "2.1", draws=2000, seed=7, framework=None)
    cache.clear()
    # one case's answer changed: its own key, computed afresh (a miss, not a shared hit)
    col = "court_work.engagement"
    changed = cases.copy()
    changed.iloc[0, changed.columns.get_loc(col)] = "no" if changed.iloc[0][col] == "yes" else "yes"
    cache.correlated_distribution(changed, "2.1", draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_hits"] == 0 and cache.STATS["misses"] == 1
    # another seed, another fresh-sample size: each its own entry too
    cache.correlated_distribution(cases, "2.1", draws=2000, seed=8, framework=None)
    cache.correlated_distribution(cases, "2.1", n_new=30, draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_hits"] == 0 and cache.STATS["misses"] == 3
    assert len(list(shared.glob("*.pickle"))) == 4
    # and the unchanged call is still served its own (equal) result
    again = cache.correlated_distribution(cases, "2.1", draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_hits"] == 1
    pd.testing.assert_frame_equal(again, first)


def test_the_code_version_is_in_a_shared_key(shared, monkeypatch):
    cases = _cases()
    cache.correlated_distribution(cases, "2.1", draws=2000, seed=7, framework=None)
    cache.clear()
    monkeypatch.setitem(cache._CODE, "hmip.stats", "edited")  # the statistics' source changed
    cache.correlated_distribution(cases, "2.1", draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_hits"] == 0 and cache.STATS["misses"] == 1


def test_an_entry_that_cannot_be_read_is_computed_again(shared):
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    k = cache.key("test-entry", 1)
    (shared / f"{k}.pickle").write_bytes(b"not a pickle")
    assert cache.get_or_compute(k, compute, shared=True) == {"value": 1}
    assert calls == [1]
    cache.clear()
    # the computed value replaced the bad entry, whole
    assert cache.get_or_compute(k, compute, shared=True) == {"value": 1}
    assert calls == [1] and cache.STATS["shared_hits"] == 1
    assert not list(shared.glob(".*.tmp"))


def test_a_value_that_cannot_be_pickled_is_still_returned(shared):
    k = cache.key("unpicklable", 2)
    value = cache.get_or_compute(k, lambda: {"f": lambda: 1}, shared=True)
    assert callable(value["f"])
    assert not list(shared.iterdir())


def test_outside_a_build_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(SHARED_MEMO_ENV, raising=False)
    cache.clear()
    assert cache.shared_dir() is None
    cache.correlated_distribution(_cases(), "2.1", draws=2000, seed=7, framework=None)
    assert cache.STATS["shared_writes"] == 0
    cache.clear()


def test_the_pack_and_the_sample_size_report_show_the_same_distributions(shared):
    """The pack's page and the report draw the same distributions: with the folder, the report reads
    what the pack wrote, and both equal the distributions computed without any memo."""
    from hmip.analyses import pack_sections, scrutiny_pack
    from hmip.analyses import sample_size as ss
    from hmip.rules.framework import framework_or_default
    from hmip.stats.sampling_bands import standard_rating_distribution

    inp = scrutiny_pack.load_inputs(region="London", audits_path="none")
    pack = pack_sections.sample_distributions(inp, "Lambeth")
    cache.clear()  # as in another process: only the folder holds them
    report = ss.prepare(pdu="Lambeth").distributions["table"]
    assert cache.STATS["shared_hits"] == len(pack) == 5
    standards = framework_or_default().case_sample_standards
    for i, s in enumerate(standards):
        fresh = standard_rating_distribution(
            _cases(), s.id, correlated=True, draws=10000, seed=2022 + i
        )
        pd.testing.assert_frame_equal(pack[s.id], fresh)
        row = report.loc[f"{s.name}: correlated (case patterns)"]
        for r in fresh.itertuples():
            assert row[str(r.rating)] == r.probability

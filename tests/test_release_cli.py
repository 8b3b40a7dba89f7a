"""`hmip release`: a case file's one release decision made on request and stored beside it, and the
ethnicity report saying in its methods which protection holds across reports (issue 22)."""

from __future__ import annotations

import pytest

from hmip.analyses import ethnicity
from hmip.cli import main
from hmip.stats import release as rel
from hmip.stats.release import release_path
from tests.test_disclosure_milp import WB, small_file


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.csv"
    small_file(path, {"Lambeth": [("African", 9), (WB, 10), ("Indian", 2)], "Newham": [(WB, 12)]})
    rel._CACHE.clear()
    yield path
    rel._CACHE.clear()


def _note(path) -> str:
    result = ethnicity.prepare(cases_path=str(path))
    return result.release_note


def test_without_a_stored_decision_the_report_says_so_and_names_the_command(small):
    note = _note(small)
    assert "NO release decision is stored" in note
    assert f"hmip release {small}" in note
    assert note in ethnicity.prepare(cases_path=str(small)).methods_used()


def test_hmip_release_decides_stores_and_the_report_applies_it(small, capsys):
    assert not release_path(small).exists()
    assert main(["release", str(small)]) == 0
    out = capsys.readouterr().out
    assert str(release_path(small)) in out and "hidden in every output" in out
    assert release_path(small).exists()
    rel._CACHE.clear()
    note = _note(small)
    assert note.startswith("Across reports: this case file's one release decision")
    stored = rel.Release.from_json(release_path(small).read_text())
    assert stored.sha256[:12] in note


def test_hmip_release_refuses_a_missing_file(tmp_path, capsys):
    assert main(["release", str(tmp_path / "nowhere.csv")]) == 2
    assert "no such file" in capsys.readouterr().err

"""The index groups are one declared list (hmip.analyses.contract.INDEX_GROUPS): the catalogue accepts
exactly those, and every group reports.toml and the results use is in it."""

import tomllib

from hmip.analyses import contract
from hmip.analyses.audit_progress import AuditProgress
from hmip.analyses.ethnicity import EthnicityDisproportionality
from hmip.analyses.london_comparison import LondonComparison
from hmip.analyses.sample_size import SampleSizeSensitivity
from hmip.analyses.scrutiny_pack import ScrutinyPack
from hmip.build.catalogue import GROUPS, Settings, load_catalogue, pack_jobs

from .conftest import ROOT, TINY

RESULTS = (
    AuditProgress,
    EthnicityDisproportionality,
    LondonComparison,
    SampleSizeSensitivity,
    ScrutinyPack,
)


def test_the_catalogue_accepts_the_contracts_one_list():
    assert GROUPS is contract.INDEX_GROUPS


def test_every_group_reports_toml_and_the_results_use_is_accepted():
    entries = tomllib.loads((ROOT / "reports.toml").read_text())["report"]
    declared = {e["group"] for e in entries if "group" in e}
    used = {cls.index_group for cls in RESULTS}
    assert declared | used <= set(GROUPS)
    assert "region" in used  # the scrutiny pack is listed per region


def test_a_catalogue_entry_may_be_listed_per_region(tmp_path):
    cat = tmp_path / "cat.toml"
    cat.write_text(f'[[report]]\nname = "r"\ntitle = "R"\nnotebook = "{TINY}"\ngroup = "region"\n')
    jobs, _ = load_catalogue(cat)
    assert [j.group for j in jobs] == ["region"]


def test_a_pack_job_is_in_the_group_its_result_declares():
    jobs = pack_jobs(Settings(packs=(("London", "A4"),)))
    assert [(j.group, j.subject) for j in jobs] == [(ScrutinyPack.index_group, "London")]

"""Disclosure control that holds across every release (issue 22): an integer-program attacker.

A case file is published in every way the reports allow: the ethnicity report per PDU and pooled,
under every grouping (binary, binary with White minorities as minority, five groups), for the
default standards, one standard and one key question, at confidence 0.95 and 0.90; and the scrutiny
pack's equality headline of every PDU. The attacker (tests/milp_attack.py) reads all of it, with
the exact inspection counts per PDU and key question, the nesting of the groupings and yes + no <=
cases, as one integer program, and minimises and maximises every count printed by ethnicity
(scipy.optimize.milp).

The guarantee (docs/methods.md): no count is narrowed below its protected range: a count of 1-7
keeps all of 1-7; a count shown rounded keeps all of its rounding range s-2 .. s+2; a larger count
hidden keeps at least five values.

The attacker's counts on the planted file without a release decision and with it: BEFORE and
AFTER (every count keeps its range).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from hmip.analyses import ethnicity as eth
from hmip.data.cases import load_cases
from hmip.paths import data_dir
from hmip.rules.framework import default_framework
from hmip.stats.disclosure import MARKER, get_rule
from hmip.stats.release import (
    RELEASE_LEVELS,
    RULE_VERSION,
    FineWorld,
    Release,
    ReleaseAudit,
    decide_release,
    file_sha256,
    grouping_id,
    release_for_file,
    release_path,
    row_display,
)
from tests.milp_attack import Attacker, with_column

#: The attacker's exact counts on the planted file (measured 2026-12-03 with ``exact=True``):
#: before, the file without a release decision (each run's own twin audit, markers read as the
#: outputs then said: semantics "v1"); after, with the file's release decision. (The issue's
#: measurement on the code at 3938f78, 6 PDUs: 324 hidden attempted, 0 exact, 69 within 2.)
BEFORE = {
    "hidden": {"attempted": 187, "exact": 0, "within 2": 55, "below full range": 99},
    "rounded": {"attempted": 151, "exact": 0, "within 2": 79, "below full range": 99},
}
AFTER = {
    "hidden": {"attempted": 332, "exact": 0, "within 2": 0, "below full range": 0},
    "rounded": {"attempted": 6, "exact": 0, "within 2": 0, "below full range": 0},
}

REAL = data_dir() / "simulated_cases_london_2022.csv"
#: More random worlds, and the attacker's exact counts (recovered exactly, within 2), with
#: HMIP_SLOW_DISCLOSURE=1; make test runs the planted file and one random world.
slow = pytest.mark.skipif(
    not os.environ.get("HMIP_SLOW_DISCLOSURE"),
    reason="more random worlds and exact attacker counts (set HMIP_SLOW_DISCLOSURE=1)",
)
PDUS = ("Lewisham and Bromley", "Lambeth", "Newham")
STDS = ("planning", "implementation_and_delivery")
GROUPINGS = (("binary", False), ("binary", True), ("ons5", False))
SUBSETS = ({}, {"standards": "planning"}, {"key_questions": "engagement"})
WB = "English, Welsh, Scottish, Northern Irish or British"
WO = "Any other White background"


def small_file(path, pdus: dict[str, list[tuple[str, int]]], seed: int = 0) -> None:
    """A case file of the given PDUs only, made of the real file's rows (answers kept), with the
    ethnicity of each PDU's cases as given ((detail, how many), in order)."""
    df = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    parts = []
    for pdu, spec in pdus.items():
        rows = df[df["pdu"] == pdu]
        k = sum(n for _, n in spec)
        take = rows.iloc[rng.permutation(len(rows))[:k]].copy()
        take["ethnicity"] = [e for e, n in spec for _ in range(n)]
        parts.append(take)
    pd.concat(parts).to_csv(path, index=False)


def publish_and_attack(
    path, semantics: str = "release", pack: bool = True, exact: bool = False
) -> tuple[dict, dict]:
    """Everything published from the file, read by the attacker; (attack counts, pooled shown)."""
    fw = default_framework()
    if semantics == "release":  # the data set's decision, made once and stored next to the file
        release_for_file(str(path), "nhs", fw)
    cases = load_cases(path, framework=fw)
    kqs = [(k.standard_id, k.id) for k in fw.key_questions if k.standard_id in STDS]
    w = FineWorld.of_cases(cases, kqs)
    att = Attacker(w, semantics=semantics)
    pooled: dict = {}
    for grouping, wm in GROUPINGS:
        gid = grouping_id(grouping, wm)
        for pdu in ["", *w.pdus]:
            for sub in SUBSETS:
                for level in (0.95, 0.90) if pdu == "" else (0.95,):
                    r = eth.prepare(
                        cases_path=str(path),
                        grouping=grouping,
                        white_minorities_as_minority=wm,
                        pdu=pdu,
                        exact_test="fisher",
                        confidence=level,
                        **sub,
                    )
                    att.read_report(r, gid)
                    if pdu == "":
                        for p in r.pooled.to_dict("records"):
                            key = (gid, p["standard"], p["key_question"], p["group"])
                            pooled.setdefault(key, set()).add(p["MH risk ratio"] != "")
    if pack:
        from hmip.analyses import scrutiny_pack as sp
        from hmip.analyses.pack_sections import equality_headline

        inp = sp.load_inputs(cases_path=str(path), draws=1000)
        q = kqs.index(inp.equality_measure)
        for pdu in w.pdus:
            att.read_pack_headline(pdu, q, equality_headline(inp, pdu))
    return att.attack(exact=exact), pooled


def assert_guarantee(result: dict) -> None:
    assert result["narrowed"] == [], result["narrowed"][:10]
    assert result["hidden"]["below full range"] == 0
    assert result["rounded"]["below full range"] == 0


# --- The one row rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "yes,n,expected",
    [
        (10, 15, (MARKER, 15)),  # no = 5: the whole row's yes is hidden (the pack showed 10 of 15)
        (3, 20, (MARKER, 20)),
        (0, 20, (0, 20)),
        (20, 20, (20, 20)),
        (12, 25, (10, 25)),
        (2, 5, (MARKER, MARKER)),
    ],
)
def test_one_row_rule(yes, n, expected):
    assert row_display(yes, n, get_rule("nhs")) == expected


# --- The planted file ---------------------------------------------------------------------------------
PLANTED = {
    # one group of 3 people, one of 8, one of 0 (Mixed, Other), a "not recorded" count of 2
    "Lewisham and Bromley": [
        ("Indian", 3),
        ("Caribbean", 8),
        ("Not recorded", 2),
        (WB, 9),
        (WO, 6),
    ],
    "Lambeth": [("African", 9), ("White and Black Caribbean", 4), ("Not recorded", 1), (WB, 12)],
    "Newham": [("Caribbean", 10), ("Bangladeshi", 2), ("Not recorded", 3), (WB, 10), (WO, 2)],
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted_cases.csv"
    small_file(path, PLANTED)
    release_for_file(str(path), "nhs", default_framework())  # decided once, stored next to it
    return path


def test_planted_file_release_holds(planted):
    """Every count printed from the planted file keeps its protected range."""
    result, pooled = publish_and_attack(planted, exact=bool(os.environ.get("HMIP_SLOW_DISCLOSURE")))
    print("attacker on the planted file:", {k: result[k] for k in ("hidden", "rounded")})
    assert result["hidden"]["attempted"] + result["rounded"]["attempted"] > 0
    assert_guarantee(result)
    if result["hidden"]["exact"] is not None:  # measured exactly (HMIP_SLOW_DISCLOSURE=1)
        assert result["hidden"]["exact"] == result["rounded"]["exact"] == 0
    # a pooled estimate is shown or hidden the same at every confidence level and subset asked
    assert all(len(v) == 1 for v in pooled.values()), {
        k: v for k, v in pooled.items() if len(v) > 1
    }


def test_release_is_stored_with_its_fingerprint(planted):
    stored = release_path(planted)
    assert stored.exists()
    text = stored.read_text()
    rel = Release.from_json(text)
    assert rel.to_json() == text
    assert (rel.sha256, rel.rule, rel.version) == (
        file_sha256(planted),
        get_rule("nhs").name,
        RULE_VERSION,
    )
    assert release_for_file(str(planted), "nhs", default_framework(), decide=False) == rel
    assert RELEASE_LEVELS == (0.90, 0.95, 0.99)


def test_release_is_reproducible(tmp_path):
    """The same file gives the same decision (a small world, three key questions)."""
    path = tmp_path / "small.csv"
    small_file(path, {"Lambeth": [("African", 9), (WB, 10), ("Indian", 2)], "Newham": [(WB, 12)]})
    fw = default_framework()
    cases = load_cases(path, framework=fw)
    kqs = [(k.standard_id, k.id) for k in fw.key_questions][:3]
    first = decide_release(cases, kqs, "nhs", file_sha256(path), fw)
    again = decide_release(cases, kqs, "nhs", file_sha256(path), fw)
    assert first.suppressed and first.to_json() == again.to_json()
    # a decision over fewer key questions than the reports show is not applied to them
    release_path(path).write_text(first.to_json())
    from hmip.stats import release as rel

    rel._CACHE.clear()
    assert release_for_file(str(path), "nhs", fw, decide=False) is None
    assert Release.from_json(first.to_json()).current(file_sha256(path), first.rule, kqs)


def test_public_ranges_need_no_solve():
    """What the inspection counts alone allow, from the one-group worlds, is what the integer
    program finds."""
    fw = default_framework()
    cases = load_cases(REAL, framework=fw)
    cases = cases[cases["pdu"].isin(PDUS[:2])].groupby("pdu").head(12)
    kqs = [(k.standard_id, k.id) for k in fw.key_questions][:1]
    audit = ReleaseAudit(FineWorld.of_cases(cases, kqs), get_rule("nhs"))
    cells, T, _ = audit.targets(audit.outright())
    public = audit.public_ranges(cells, T)
    lo, hi = audit.public_program().ranges(T, audit.w.truth())
    assert [public[c.key] for c in cells] == [(int(a), int(b)) for a, b in zip(lo, hi, strict=True)]


# --- Random small worlds -----------------------------------------------------------------------------
DETAILS = (
    WB,
    WO,
    "Irish",
    "White and Asian",
    "Indian",
    "Pakistani",
    "African",
    "Caribbean",
    "Arab",
)


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=slow), pytest.param(3, marks=slow)])
def test_random_small_worlds(tmp_path, seed):
    rng = np.random.default_rng(seed)
    pdus = {}
    for pdu in PDUS[:2]:
        n = int(rng.integers(12, 24))
        spec = [(DETAILS[int(i)], 1) for i in rng.integers(0, len(DETAILS), n)]
        spec += [("Not recorded", 1)] * int(rng.integers(0, 4))
        pdus[pdu] = spec
    path = tmp_path / f"world_{seed}.csv"
    small_file(path, pdus, seed)
    result, pooled = publish_and_attack(path, pack=False)
    assert_guarantee(result)
    assert all(len(v) == 1 for v in pooled.values())


def test_planted_cases_sum(planted):
    cases = pd.read_csv(planted)
    assert (cases["pdu"] == "Lewisham and Bromley").sum() == 28
    with_column  # noqa: B018  (the helper the hand-run BEFORE measurement uses)

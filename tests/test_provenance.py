"""Issue 19: a table's provenance has a declared, typed home (``ProvenanceFrame.provenance``), not an
entry of ``DataFrame.attrs``, and still reaches every table derived from a loaded one the way the
code derives them: simulated data is never passed off as real, a published file stays published."""

from __future__ import annotations

import copy
import hashlib
import pickle
from pathlib import Path

import pandas as pd
import pytest

from hmip.analyses import cache
from hmip.data import loaders as d
from hmip.data.national import load_national_ratings
from hmip.data.provenance import (
    Provenance,
    ProvenanceFrame,
    ProvenanceSeries,
    carry,
    is_simulated,
    provenance,
    sources,
    stamp,
)
from hmip.data.recommendations import load_recommendations
from hmip.rules.framework import default_framework
from hmip.rules.tables import combine_ratings, rate_standards


@pytest.fixture(scope="module")
def cases():
    return d.load_cases()


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_the_bundled_sample_loads_as_simulated_with_its_file_and_checksum(cases):
    prov = provenance(cases)
    assert isinstance(cases, ProvenanceFrame) and isinstance(prov, Provenance)
    assert prov.simulated and prov.basis == "simulated" and prov.load_notes
    (src,) = prov.sources
    assert src["basis"] == "simulated" and src["sha256"] == _sha256(src["path"])
    assert cases.attrs == {}  # nothing rides in attrs


#: each way the package derives a table from a loaded one
DERIVATIONS = {
    "filter": lambda t: t[t["pdu"] == t["pdu"].iloc[0]],
    "loc": lambda t: t.loc[t["pdu"] == t["pdu"].iloc[0], ["pdu", "case_id"]],
    "empty slice": lambda t: t.iloc[0:0],
    "reset_index": lambda t: t[t["pdu"] == t["pdu"].iloc[0]].reset_index(drop=True),
    "copy": lambda t: t.copy(),
    "assign": lambda t: t.assign(order=1),
    "set column": lambda t: _set(t.copy(), "extra", 1),
    "sort_values": lambda t: t.sort_values(["pdu"], kind="stable"),
    "drop_duplicates": lambda t: t.drop_duplicates("pdu"),
    "set_index": lambda t: t.set_index("case_id"),
    "rename": lambda t: t.rename(columns={"pdu": "unit"}),
    "column": lambda t: t["pdu"],
    "column to_frame": lambda t: t["pdu"].to_frame(),
    "groupby sum": lambda t: t.assign(one=1).groupby("pdu", sort=True)[["one"]].sum().reset_index(),
    "groupby agg": lambda t: t.assign(one=1).groupby("pdu").agg({"one": "sum"}),
    "groupby apply": lambda t: t.assign(one=1).groupby("pdu")[["one"]].apply(lambda g: g.sum()),
    "pivot_table": lambda t: t.assign(one=1).pivot_table(index="pdu", values="one", aggfunc="sum"),
    "merge": lambda t: t.merge(pd.DataFrame({"pdu": ["x"], "r": [1]}), on="pdu", how="left"),
    "pd.merge": lambda t: pd.merge(t[["pdu"]].drop_duplicates(), t[["pdu", "case_id"]], on="pdu"),
    "concat": lambda t: pd.concat([t.head(2), t.tail(2)], ignore_index=True),
    "concat with a plain table after": lambda t: pd.concat(
        [t[["pdu"]].head(2), pd.DataFrame({"pdu": ["x"]})], ignore_index=True
    ),
    "concat columns": lambda t: pd.concat([t["pdu"], t["case_id"]], axis=1),
    "deepcopy (the analysis cache)": copy.deepcopy,
    "pickle (the build's workers)": lambda t: pickle.loads(pickle.dumps(t)),
}


def _set(t, col, value):
    t[col] = value
    return t


@pytest.mark.parametrize("how", DERIVATIONS)
def test_a_table_derived_from_the_simulated_sample_is_still_simulated(cases, how):
    derived = DERIVATIONS[how](cases)
    assert isinstance(derived, ProvenanceFrame | ProvenanceSeries)
    assert provenance(derived) == provenance(cases)
    assert is_simulated(derived) and sources(derived) == sources(cases)
    assert provenance(cases).simulated  # the origin is untouched
    plain = DERIVATIONS[how](pd.DataFrame(cases))  # the same values as plain pandas gives
    if isinstance(plain, pd.Series):
        pd.testing.assert_series_equal(pd.Series(derived), plain)
    else:
        pd.testing.assert_frame_equal(pd.DataFrame(derived), plain)


def test_the_package_s_own_derivations_keep_simulated(cases):
    fw = default_framework()
    counts = d.key_question_counts(cases[cases["pdu"] == cases["pdu"].iloc[0]], framework=fw)
    assert provenance(counts) == provenance(cases)
    # combine_ratings concatenates the (stamped) simulated judgement ratings with recomputed ones
    # (not stamped): the result is simulated (attrs dropped it, as the inputs differed)
    judgement = d.load_simulated_ratings(framework=fw)
    combined = combine_ratings(rate_standards(counts, framework=fw), judgement, framework=fw)
    assert is_simulated(combined) and sources(combined) == sources(judgement)


def test_a_mix_of_simulated_and_published_is_simulated(cases):
    pub = d.load_published()
    for mixed in (
        pd.concat([pub[["pdu"]], cases[["pdu"]]]),
        pd.concat([cases[["pdu"]], pub[["pdu"]]]),
        pub.merge(cases[["pdu", "case_id"]], on="pdu"),
        carry(pd.DataFrame({"a": [1]}), pub, cases),
    ):
        assert is_simulated(mixed)
        assert {s["basis"] for s in sources(mixed)} == {"published", "simulated"}


def test_what_builds_a_new_plain_frame_keeps_nothing_until_carried(cases):
    for plain in (
        pd.DataFrame(cases),
        pd.DataFrame(cases.to_dict("records")),
        pd.concat([pd.DataFrame({"pdu": ["x"]}), cases[["pdu"]]]),  # a plain table first
        cases.assign(n=1).groupby("pdu")["n"].agg(["min", "max"]),  # as attrs: pandas builds anew
    ):
        assert provenance(plain) == Provenance()
        same = carry(plain, cases)
        assert same is plain and isinstance(plain, ProvenanceFrame)  # stamped in place
        assert provenance(plain) == provenance(cases) and plain.attrs == {}


@pytest.mark.parametrize(
    "load",
    [
        d.load_published,
        d.load_published_overall,
        d.load_indicators,
        load_national_ratings,
        load_recommendations,
    ],
)
def test_a_published_file_loads_as_published(load):
    df = load()
    prov = provenance(df)
    assert prov.basis == "published" and prov.simulated is False and not prov.example
    (src,) = prov.sources
    assert src["basis"] == "published" and src["sha256"] == _sha256(src["path"])
    derived = df.head(1).reset_index(drop=True).copy()
    assert provenance(derived) == prov and not is_simulated(derived)


def test_cached_tables_keep_their_provenance(monkeypatch):
    monkeypatch.delenv("HMIP_NO_CACHE", raising=False)
    fw = default_framework()
    cache.clear()
    try:
        first = cache.cases_and_counts("", fw)  # computed and stored
        again = cache.cases_and_counts("", fw)  # from the memo (a copy)
        pub = cache.published_ratings(fw)
    finally:
        cache.clear()
    for cases_, counts in (first, again, pickle.loads(pickle.dumps(again))):
        assert provenance(cases_).simulated and provenance(cases_).basis == "simulated"
        assert provenance(counts) == provenance(cases_)
    assert provenance(pub.standards).basis == "published" and not is_simulated(pub.overall)
    plain = again[1].copy()
    assert cache.token(stamp(plain, Provenance())) != cache.token(again[1])  # keyed on it


def test_stamp_takes_a_provenance_and_keeps_the_table_s_identity():
    df = pd.DataFrame({"a": [1, 2]})
    prov = Provenance(simulated=True, basis="simulated")
    assert stamp(df, prov) is df and isinstance(df, ProvenanceFrame) and provenance(df) == prov
    assert df.attrs == {} and df["a"].tolist() == [1, 2]
    with pytest.raises(TypeError):
        stamp(pd.DataFrame(), {"simulated": True})
    with pytest.raises(TypeError):
        stamp([1, 2], prov)
    assert provenance(None) == provenance([]) == provenance(pd.DataFrame()) == Provenance()
    assert carry(pd.DataFrame(), pd.DataFrame()).__class__ is pd.DataFrame  # nothing to carry

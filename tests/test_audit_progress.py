"""The audit-progress report (hmip.analyses.audit_progress): the shipped example gives sensible,
asserted values; a world where nothing changed and a world of strong improvement give the right
verdicts in words; a reported status the audits contradict is flagged; its charts fit the page."""

import csv
import datetime as dt

import pandas as pd
import pytest

from hmip.analyses import audit_progress as ap
from hmip.analyses.words import RatingMention, SimulatedMark, plain
from hmip.data.audits import audit_counts, load_audits
from hmip.errors import ParameterError
from hmip.rules.framework import default_framework
from hmip.rules.ratings import Rating

PDU = "Lewisham and Bromley"
FW = default_framework()


@pytest.fixture(scope="module")
def example():
    return ap.prepare()


# --- The shipped (simulated) example -------------------------------------------------------------------
def test_main_points_name_every_key_question_that_really_improved(example):
    points = [plain(p) for p in ap.main_points(example)]
    assert 1 <= len(points) <= 5
    up = example.change[example.change["clear"] == "up"]
    # the simulated series improves 'keeping other people safe'; the latest audits show it on four
    assert sorted(up["standard"]) == sorted(
        ["assessment", "planning", "implementation_and_delivery", "reviewing"]
    )
    assert set(up["key_question"]) == {"safety"}
    first = points[0]
    assert f"a real improvement on {len(up)} of 15 key questions" in first
    for s in up["standard"]:
        assert FW.standard(s).name in first
    assert "'keeping other people safe'" in first and "from 21% to 69%" in first
    assert "Court work" not in first  # its change is within chance
    assert "allowing for 15 comparisons" in first


def test_every_figure_built_on_simulated_data_is_marked(example):
    assert example.simulated and example.audits_simulated
    points = ap.main_points(example)
    assert all(any(isinstance(x, SimulatedMark) for x in p) for p in points)
    assert "SIMULATED" in ap.simulated_notice(example)
    assert "illustrative example" in ap.simulated_notice(example)


def test_band_chances_sum_to_one_and_the_ratings_are_said(example):
    s = example.standards_now
    labels = [r.label for r in Rating]
    assert list(s.index) == [x.name for x in FW.case_sample_standards]
    assert s[labels].sum(axis=1).to_numpy() == pytest.approx([1.0] * 5)
    overall = example.now.overall["probability"]
    assert overall.sum() == pytest.approx(1.0)
    # the four organisational ratings are held at their published Requires improvement (4 points),
    # so one case-sample standard up a band makes the PDU Requires improvement overall
    p_ri = float(
        example.now.overall.set_index("rating").loc[Rating.REQUIRES_IMPROVEMENT, "probability"]
    )
    p_all_i = 1.0
    for x in s.itertuples():
        p_all_i *= x.Inadequate
    assert p_ri == pytest.approx(1 - p_all_i, abs=1e-9)
    now = ap.now_sentences(example)
    assert RatingMention("Inadequate") in now[0] and RatingMention("Requires improvement") in now[1]
    text = plain(now[1])
    assert "Requires improvement (73%, about 3 in 4) rather than Inadequate (27%)" in text
    # the real rating said beside the simulated one (a reader skimming took RI for the real rating)
    assert (
        "HMIP rated it Inadequate at the inspection, with 4 points (implied by its published "
        "standard ratings), one short of Requires improvement" in text
    )
    assert "stay at their published Requires improvement" in text
    first = plain(now[0])
    assert first.startswith(
        "If HMIP inspected 42 cases now, all five case-sample standards would most likely still be "
        "rated Inadequate (chances from 60% for Assessment to 97% for Reviewing)"
    )


def test_if_inspected_now_says_how_latest_is_weighed(example):
    assert "12 months up to the latest audit" in example.now.weighting
    assert "12 months up to the latest audit" in " ".join(ap.methods(example))
    half = ap.prepare(half_life_months=6, progress_path="none")
    assert "halving for every 6 months" in half.now.weighting
    assert (
        half.parameters["half_life_months"] == 6 and half.parameters["window_months"] == "not used"
    )
    assert half.standards_now[[r.label for r in Rating]].sum(axis=1).to_numpy() == pytest.approx(
        [1] * 5
    )


def test_trends_are_adjusted_and_said(example):
    t = example.trend.set_index(["standard", "key_question"])
    assert (t["family_size"] == 15).all()
    assert (t["p_adjusted"] >= t["p_value"] - 1e-15).all()
    assert t.loc[("assessment", "safety"), "clear"] == "up"
    assert t.loc[("assessment", "engagement"), "clear"] == ""
    assert t.loc[("assessment", "safety"), "words"].startswith("rising: from about 34% to 75%")
    assert len(example.curves) == 15
    c = example.curves[("assessment", "safety")]
    assert (c["lower"] <= c["estimate"]).all() and (c["estimate"] <= c["upper"]).all()


def test_change_verdicts_in_words_a_councillor_reads_right(example):
    ch = example.change.set_index(["standard", "key_question"])
    real = ch.loc[("assessment", "safety"), "words"]
    assert real.startswith(
        "An uplift of 47 points, from 21% (9 of 42) at the inspection to 69% (55 of 80)"
    )
    assert "evidence of a real improvement" in real and "15 key questions" in real
    chance = ch.loc[("court_work", "engagement"), "words"]
    assert chance.startswith("An uplift of 15 points")
    assert "within what chance alone gives" in chance and "not evidence of a real change" in chance
    row = dict(ch.loc[("planning", "desistance")])
    # larger than one comparison's chance range would allow, but not once 15 are allowed for
    row.update(within_chance_range=False, p_adjusted=0.4)
    assert "not yet evidence of a real change" in ap.change_words(row, 0.95)
    display = ap.change_display(example)
    assert list(display["Verdict"]).count("Real improvement") == 4


def test_worked_example_of_the_six_point_uplift(example):
    ex = example.example
    assert ex.verdict.within_chance
    assert ex.verdict.text.startswith(
        "An uplift of 6 points (from 29% to 35%) is within what chance alone gives with samples "
        "this size (42 and 20 cases)"
    )
    assert any("6% uplift in the overall score" in p for p in ex.published)
    assert any("not published" in a for a in ex.assumed)
    assert 800 < ex.cases_for_power < 1100  # cases per sample for 80% power at 29% -> 35%
    assert "an uplift of 6 points on the same pooled measure" in ex.series_first_audit


def test_recommendations_measured_against_the_reported_status(example):
    r = example.recommendations.set_index("recommendation")
    assert list(r.index) == [1, 2, 3, 4, 5, 6]
    assert r.loc[1, "measured_now"] == "real improvement on all 4 of its key questions"
    assert r.loc[3, "agreement"] == "cannot compare: not measured by audits"
    # reported in Jun 2023, when the audits showed no clear change; they show one now
    assert r.loc[1, "agreement"].startswith("out of date: it agreed with the audits in Jun 2023")
    assert r.loc[2, "agreement"].startswith("out of date")
    assert r.loc[4, "agreement"] == "agree"
    last = plain(ap.main_points(example)[-1])
    assert "recommendations 1 (at risk" in last and "out of date" in last


def test_pack_summary():
    summary = ap.pack_summary(PDU)
    assert summary is not None and summary.simulated
    assert 1 <= len(summary.points) <= 3
    assert plain(summary.points[0]).startswith("Compared with the inspection")
    assert len(summary.chart) == 5
    assert {"share_before", "share_after", "lower", "upper", "label"} <= set(summary.chart.columns)
    assert (summary.chart["lower"] <= summary.chart["share_after"]).all()
    assert ap.pack_summary("Newham") is None  # no audits: the section is left out


def test_bad_parameters_are_refused_with_a_reason():
    with pytest.raises(ParameterError, match="half_life_months"):
        ap.prepare(half_life_months=-1)
    with pytest.raises(ParameterError, match="window_months"):
        ap.prepare(window_months=0)
    with pytest.raises(ParameterError, match="audits hold no cases of this PDU"):
        ap.prepare(pdu="Newham")
    with pytest.raises(ParameterError, match="inspection_date"):
        ap.prepare(inspection_date="2022-13-01")
    with pytest.raises(ParameterError, match="before the inspection"):
        ap.prepare(inspection_date="2023-01-01")
    with pytest.raises(ParameterError, match="adjust"):
        ap.prepare(adjust="bonferroni")


# --- Made-up worlds: no change, and strong improvement ---------------------------------------------------
def _inspection_shares() -> dict[str, float]:
    from hmip.data.cases import key_question_counts, load_cases

    c = key_question_counts(load_cases())
    c = c[c["pdu"] == PDU]
    return {f"{r.standard}.{r.key_question}": r.yes / r.n for r in c.itertuples()}


def _audit_dates() -> list[dt.date]:
    return [dt.date(2022, 12, 16)] + [
        dt.date(y, m, d)
        for y in (2023, 2024, 2025, 2026)
        for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
        if dt.date(y, m, d) <= dt.date(2026, 9, 30)
    ]


def _write_world(path, share_at) -> str:
    """An audit file of 20 community cases a quarter; ``share_at(qid, start, years)`` gives each key
    question's share, made exact (the first round(share * 20) cases answer yes)."""
    starts = _inspection_shares()
    kqs = [kq.qualified_id for kq in FW.key_questions]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["audit_date", "case_id", "pdu", "gender", "sentence_type", "rosh", "ethnicity", *kqs]
        )
        for when in _audit_dates():
            years = (when - dt.date(2022, 8, 22)).days / 365.25
            yes = {q: round(20 * share_at(q, starts[q], years)) for q in kqs}
            for i in range(20):
                answers = ["yes" if i < yes[q] else "no" for q in kqs]
                w.writerow(
                    [
                        when.isoformat(),
                        f"C{when:%y%m}{i:02d}",
                        PDU,
                        "male",
                        "community",
                        "medium",
                        "African",
                        *answers,
                    ]
                )
    return str(path)


def _progress(path, rows) -> str:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["pdu", "recommendation", "action", "status", "evidence", "date"])
        for number, status, date in rows:
            w.writerow([PDU, number, "An action", status, "Some evidence", date])
    return str(path)


def test_a_world_where_nothing_changed(tmp_path):
    audits = _write_world(tmp_path / "flat_audits.csv", lambda q, start, years: start)
    progress = _progress(
        tmp_path / "progress.csv", [(1, "on track", "2026-09"), (4, "off track", "2026-09")]
    )
    result = ap.prepare(audits_path=audits, progress_path=progress)
    assert not result.audits_simulated  # an analyst's file: not marked simulated
    assert (result.change["clear"] == "").all() and (result.trend["clear"] == "").all()
    first = plain(ap.main_points(result)[0])
    assert first.startswith("There is no evidence yet of a real change since the inspection")
    assert "no more than chance alone gives with samples this size" in first
    assert all("within what chance alone gives" in w for w in result.change["words"])
    r = result.recommendations.set_index("recommendation")
    # reported on track, but nothing measured moved: flagged
    assert r.loc[1, "agreement"].startswith(
        "disagree: reported on track, but the audits show no real improvement"
    )
    assert r.loc[4, "agreement"] == "agree"
    assert "disagrees with the audits for recommendation 1" in plain(ap.main_points(result)[-1])
    # with the published Inadequate standards and no change, Inadequate stays the most likely rating
    assert all(x == "Inadequate" for x in result.standards_now["most_likely"])


def test_a_world_of_strong_improvement(tmp_path):
    audits = _write_world(
        tmp_path / "rising_audits.csv", lambda q, start, years: min(0.95, start + 0.2 * years)
    )
    progress = _progress(tmp_path / "progress.csv", [(2, "off track", "2026-09")])
    result = ap.prepare(audits_path=audits, progress_path=progress)
    assert (result.change["clear"] == "up").all()
    assert (result.trend["clear"] == "up").all()
    first = plain(ap.main_points(result)[0])
    assert "show a real improvement on 15 of 15 key questions" in first
    for s in FW.case_sample_standards:
        assert s.name in first
    now = result.standards_now
    assert all(x == "Outstanding" for x in now["most_likely"])
    overall = result.now.overall.set_index("rating")["probability"]
    assert overall.idxmax() == Rating.GOOD  # 4 organisational RI + 5 x 3 = 19 points
    r = result.recommendations.set_index("recommendation")
    assert r.loc[2, "agreement"].startswith(
        "disagree: reported off track, but the audits show a real improvement"
    )


def test_the_measured_agreement_rules():
    assert ap.agreement("on track", 3, 0, 0).startswith("disagree")
    assert ap.agreement("on track", 3, 1, 0) == "agree"
    assert ap.agreement("off track", 3, 1, 0).startswith("disagree")
    assert ap.agreement("off track", 3, 0, 0) == "agree"
    assert ap.agreement("at risk", 3, 3, 0).startswith("disagree")
    assert ap.agreement("at risk", 3, 1, 0) == "agree"
    assert ap.agreement("at risk", 3, 0, 1).startswith("disagree")
    assert ap.agreement(None, 3, 0, 0).startswith("cannot compare")
    assert ap.agreement("on track", 0, 0, 0).startswith("cannot compare")


# --- Charts -------------------------------------------------------------------------------------------------
def test_charts_have_active_titles_alt_text_and_fit_the_printed_page(example):
    from hmip.present import charts

    fig = charts.audit_trends(
        example.shares,
        example.trend,
        example.curves,
        inspection=example.change,
        inspection_date=example.inputs.inspection_date,
        simulated=True,
    )
    assert fig.hmip_title.startswith("The audits are rising on two of 15 key questions")
    assert (
        fig.hmip_alt.startswith("Simulated data")
        and "Assessment: keeping other people safe: fitted from 34% to 75%, rising" in fig.hmip_alt
    )
    assert "Simulated" in fig.hmip_caption and "Wilson" in fig.hmip_caption
    w, h = fig.get_size_inches()
    assert (
        w == pytest.approx(charts.WIDTH) and h <= 120 / 25.4
    )  # prints at full width (120 mm high)
    small = charts.since_inspection(ap.since_inspection_chart_data(example), simulated=True)
    assert (
        small.hmip_title
        == "Three of five standards still have a key question in the Inadequate band"
    )
    assert (
        "Reviewing: engaging the person on probation: 35% at the inspection, 36% now"
        in small.hmip_alt
    )
    assert small.get_size_inches()[1] <= 120 / 25.4


def test_audit_counts_and_report_agree_on_the_latest_window(example):
    counts = audit_counts(load_audits())
    latest = counts[counts["audit_date"] > pd.Timestamp("2025-09-30")]
    a = latest[(latest["standard"] == "assessment") & (latest["key_question"] == "safety")]
    row = example.change.set_index(["standard", "key_question"]).loc[("assessment", "safety")]
    assert (int(a["yes"].sum()), int(a["n"].sum())) == (row["yes_after"], row["n_after"])


def test_the_result_meets_the_report_contract(example):
    from hmip.analyses import contract

    assert issubclass(ap.AuditProgress, contract.ReportBase)
    for name in ("parameters", "simulated", "sources"):
        assert name not in ap.AuditProgress.__dict__
    assert isinstance(example, contract.ReportResult)
    assert ap.AuditProgress.index_group == "each PDU"
    bases = {s["name"]: s["basis"] for s in example.sources}
    assert bases["simulated_audits_lewisham_and_bromley.csv"] == "simulated"
    assert bases["published_standard_ratings.csv"] == "published"
    assert example.main_points() == ap.main_points(example)
    assert example.methods_used() == ap.methods(example)

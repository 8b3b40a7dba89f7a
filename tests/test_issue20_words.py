"""Issue 20: the same figure in the same words, simulated never speaks as fact, words a lay reader
reads right, no unfinished-looking output. Each test fails on the wording it replaced."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hmip.analyses import glossary as g
from hmip.analyses.words import percent


# --- The same figure in the same words ------------------------------------------------------------
def test_tables_say_a_chance_of_99_7_percent_as_the_vocabulary_does_not_100():
    from hmip.present.display import table_html

    html = table_html(pd.DataFrame({"c": [0.997, 0.003, 0.5]}), percent=("c",))
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert cells == ["&gt;99%", "&lt;1%", "50%"]  # was "100%" and "0%"
    assert [percent(x, compact=True) for x in (0.997, 0.003, 0.5)] == [">99%", "<1%", "50%"]


def test_the_pack_says_firmness_as_a_percentage_like_the_chart_and_the_workbook():
    from hmip.analyses.pack_model import StandardLine

    line = StandardLine(
        "assessment", "2.2", "Assessment", "Inadequate", "published", True, p_same=0.997
    )
    assert line.firmness_text == "more than 99%: firm"  # was "more than 99 in 100: firm"
    assert StandardLine("a", "2.2", "A", "Inadequate", "", True, p_same=0.48).firmness_text == (
        "48%: could easily change"
    )


@pytest.fixture(scope="module")
def newham():
    from hmip.analyses import sample_size as ss

    return ss.prepare(pdu="Newham", draws=1000)


@pytest.fixture(scope="module")
def lewisham():
    from hmip.analyses import sample_size as ss

    return ss.prepare(pdu="Lewisham and Bromley", draws=1000)


def test_sample_size_says_court_work_is_implied_as_the_pack_and_workbook_do(lewisham):
    from hmip.analyses import sample_size as ss

    table = ss.standards_table(lewisham).set_index("Standard")
    assert table.loc["Court work", "Rating"] == "Inadequate"
    assert table.loc["Court work", "Rating from"] == "HMIP (implied by its published ratings)"
    assert table.loc["Assessment", "Rating from"] == "HMIP (published)"


def test_no_simulated_rating_is_drawn_as_a_badge_in_the_sample_size_report(newham):
    from hmip.analyses import sample_size as ss

    table = ss.standards_table(newham).set_index("Standard")
    # HMIP published none of Newham's standard ratings: every one is "not published" (the "?" badge)
    assert table["Rating"].isna().all()  # was "G Good simulated" for information and facilities
    assert table.loc["Leadership", "Rating from"] == "not published by HMIP"
    assert table.loc["Assessment", "Rating from"] == (
        "not published by HMIP; the simulated case sample gives Inadequate"
    )
    assert not any(ss.simulated_rating_rows(table.reset_index()))


def test_more_cases_is_one_quantity_in_the_sample_size_report_and_the_pack_table(lewisham):
    """Both add the shortfall over every key question below the next band (the pack's table figure)."""
    from hmip.analyses import sample_size as ss
    from hmip.rules.ratings import Rating, min_yes_for

    table = ss.standards_table(lewisham).set_index("Standard")
    counts = lewisham.inputs.counts
    sub = counts[(counts["standard"] == "assessment") & (counts["n"] > 0)]
    total = sum(
        max(0, min_yes_for(Rating.REQUIRES_IMPROVEMENT, int(r.n)) - int(r.yes))
        for r in sub.itertuples()
    )
    assert table.loc["Assessment", "More sufficient cases for the next band"] == total


def test_the_pack_methods_name_one_more_cases_figure():
    import inspect

    from hmip.analyses.pack_text import methods_text

    src = inspect.getsource(methods_text)
    assert "weakest key question alone" not in src and "Ratings sheet" in src


# --- Simulated never speaks as fact --------------------------------------------------------------
def _page_figures(simulated: bool):
    from hmip.analyses.pack_model import EqualityHeadline, StandardLine

    weakest = StandardLine(
        "assessment",
        "2.2",
        "Assessment",
        "Inadequate",
        "published",
        True,
        sample_rating="Inadequate",
        limiting="keeping other people safe",
        limiting_yes=9,
        limiting_n=42,
        next_rating="Requires improvement",
        more_needed=12,
        more_needed_total=18,
        p_same=0.99,
        simulated=simulated,
    )
    eq = EqualityHeadline(
        "m", "too few to say", "Too few", needed_per_group=158, simulated=simulated
    )
    return dict(
        pdu="Lewisham and Bromley",
        weakest=weakest,
        shakiest=weakest,
        overall_p_same=0.997,
        equality=eq,
        simulated=simulated,
    )


def test_member_questions_stand_on_published_findings_and_name_the_simulated_sample():
    from hmip.analyses.pack_sections import member_finding, questions

    found = member_finding("Lewisham and Bromley", "London")
    assert found is not None and "25 per cent" in found[0]  # HMIP's own published figure
    figures = _page_figures(True) | {"finding": found}
    qs = questions(figures)
    assert qs[0].text.startswith("HMIP found across London:") and not qs[0].simulated
    assert "9 of 42" not in qs[0].text  # was "Only 9 of 42 cases (21%) were sufficient ..."
    text = " ".join(q.text for q in qs)
    assert "not down to the luck of the sample" not in text
    assert "more on this question would lift it" not in text  # the second "more cases" figure
    for q in qs[1:]:
        assert q.simulated and "simulated case sample" in q.text.lower(), q.text
    # with no published finding, the case figure says it is from the simulated sample
    q0 = questions(_page_figures(True) | {"finding": None})[0]
    assert q0.text.startswith("In the simulated case sample, only 9 of 42") and q0.simulated
    real = questions(_page_figures(False) | {"finding": None})
    assert all("simulated" not in q.text for q in real)


def test_chart_titles_of_simulated_findings_say_so():
    from hmip.analyses.london_comparison import prepare
    from hmip.present import charts

    result = prepare(region="London")
    shares = result.shares
    fig = charts.key_question_shares(shares, "implementation_and_delivery", simulated=True)
    titles = " ".join(t.get_text() for t in fig.texts)
    assert "in the simulated sample" in titles
    fig = charts.key_question_shares(shares, "implementation_and_delivery", simulated=False)
    assert "in the simulated sample" not in " ".join(t.get_text() for t in fig.texts)


# --- Words a lay reader reads right ---------------------------------------------------------------
def test_new_terms_are_in_the_one_glossary_and_recognised():
    for term in ("risk ratio", "percentage point", "Newcombe", "5% level"):
        assert term in g.GLOSSARY
    used = g.terms_used(
        "risk ratios of 0.8; a gap of 15 percentage points; Newcombe's; the 5% level"
    )
    assert used == ["risk ratio", "percentage point", "Newcombe", "5% level"]
    assert "points" not in g.terms_used("a gap of 15 percentage points")


def test_fresh_sample_is_the_parameter_not_about_42():
    assert "about 42" not in g.GLOSSARY["fresh sample"]
    assert "60 cases" in g.glossary_for(["fresh sample"], fresh_n=60)["fresh sample"]


def test_reports_list_the_new_terms_they_use():
    from hmip.analyses import ethnicity, sample_size

    assert {"risk ratio", "percentage point", "Newcombe", "5% level"} <= set(
        ethnicity.GLOSSARY_TERMS
    )
    assert "percentage point" in sample_size.GLOSSARY_TERMS


def test_p_values_are_said_in_words():
    from hmip.analyses.ethnicity import _mh_not_done, p_words

    assert p_words("p >= 0.05") == "no (p >= 0.05)"  # was a bare "p >= 0.05"
    assert p_words("p < 0.001") == "yes (p < 0.001)"
    assert p_words("p = 0.94") == "no (p = 0.94)"
    assert p_words("p = 0.01", yes="it may", no="no sign") == "it may (p = 0.01)"
    assert "no variation to test" in _mh_not_done("")  # was a blank cell
    assert (
        _mh_not_done("not estimated: fewer than two PDUs") == "not estimated: fewer than two PDUs"
    )


def test_pack_words_say_percentage_points_and_explain_the_technical_names():
    import inspect

    from hmip.analyses import pack_sections, pack_tables, pack_text

    for mod in (pack_sections, pack_tables, pack_text):
        src = inspect.getsource(mod)
        assert "-point gap" not in src, mod.__name__
    src = inspect.getsource(pack_text)
    assert 'called a "\n            "Jeffreys prior' in src or "called a" in src
    assert "Newcombe's method" in src and "1 time in 20" in src


def test_zero_shaky_key_questions_leave_the_sentence_out(newham):
    import copy

    from hmip.analyses import sample_size as ss
    from hmip.analyses.words import plain
    from hmip.rules.ratings import Rating

    result = copy.copy(newham)
    kq = newham.key_questions.copy()
    labels = [x.label for x in Rating]
    kq[labels] = 0.0
    kq[labels[0]] = 1.0
    result.key_questions = kq
    text = " ".join(plain(p) for p in ss.main_points(result))
    assert (
        "key questions have less than a 4 in 5 chance" not in text
    )  # was "0 of 15 key questions ..."
    text = " ".join(plain(p) for p in ss.main_points(newham))
    assert re.search(r"[1-9]\d* of 15 key questions have less than a 4 in 5 chance", text)


# --- Unfinished-looking output --------------------------------------------------------------------
def test_national_counts_have_no_blank_period():
    from hmip.analyses.london_comparison import period_words

    assert period_words("", "") == "period not stated by HMIP"  # was a blank cell
    assert period_words("2021-06", "2022-05") == "Jun 2021 to May 2022"
    assert period_words("2022-08", "2022-08") == "Aug 2022"
    assert period_words(None, "2022-05") == "to May 2022"


def test_power_statements_are_short_and_the_notebook_shows_them_all(root):
    from hmip.analyses.ethnicity import POWER_LEAD

    assert "pooled analysis" in POWER_LEAD
    nb = (root / "notebooks" / "ethnicity_disproportionality.ipynb").read_text()
    assert "more statements like these" not in nb and "display.bullets(result.power)" in nb


def test_a_hidden_pooled_cell_does_not_claim_fewer_than_8_people():
    """A cell hidden by secondary suppression may stand for 110 people: the chart says it is hidden to
    protect people, not that the group has fewer than 8 (was "n=[REDACTED] ... fewer than 8 people")."""
    from hmip.present import charts

    table = pd.DataFrame(
        {
            "label": ["Planning: engaging: White", "Planning: engaging: Ethnic minority"],
            "share": [0.5, float("nan")],
            "lower": [0.41, float("nan")],
            "upper": [0.59, float("nan")],
            "n_display": [110, "[REDACTED]"],
            "suppressed": [False, True],
            "method": ["Wilson score 95%", "Wilson score 95%"],
        }
    )
    fig = charts.group_dot_plot(table, title="t", marker="[REDACTED]", simulated=False)
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "hidden to protect people [REDACTED]" in texts
    assert "suppressed: fewer than 8 people" not in texts


def test_the_overall_firmness_never_rests_on_simulated_organisational_ratings(newham, lewisham):
    """Newham's organisational ratings are not published: the overall firmness cannot be said (was
    'RI again more than 99% of the time', held on simulated leadership, staff ... ratings)."""
    from hmip.analyses import sample_size as ss
    from hmip.analyses.words import plain

    assert all(v is None for v in newham.inputs.judgement.values())
    assert newham.distributions["overall"] is None
    text = " ".join(plain(p) for p in ss.main_points(newham))
    assert "How firm the overall rating is cannot be said" in text
    assert lewisham.distributions["overall"] is not None  # published organisational ratings


def test_the_5_percent_level_is_not_found_in_a_95_percent_level():
    assert g.terms_used("Wilson score, 95% level") == ["Wilson"]
    assert "5% level" in g.terms_used("a test at the 5% level")


def test_a_hidden_case_count_is_explained_beside_the_public_one(root):
    """Hammersmith showed 'Cases: [REDACTED]' while the pack printed '42 cases': the report says why."""
    from hmip.analyses.ethnicity import CASES_NOTE

    assert "public" in CASES_NOTE and "scrutiny pack" in CASES_NOTE
    nb = (root / "notebooks" / "ethnicity_disproportionality.ipynb").read_text()
    assert "display.say(eth.CASES_NOTE)" in nb

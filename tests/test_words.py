"""The one vocabulary (hmip.analyses.words) and the one glossary (hmip.analyses.glossary): each figure
said one way, and every threshold or band named in prose taken from the framework file."""

from __future__ import annotations

import importlib

import pytest

from hmip.analyses import glossary as g
from hmip.analyses import words as w
from hmip.errors import ParameterError
from hmip.rules.framework import FRAMEWORK_DIR, load_framework


def test_percent_says_less_than_1_and_more_than_99_rather_than_0_or_100():
    assert w.percent(0.004) == "less than 1%"
    assert w.percent(0.996) == "more than 99%"
    assert w.percent(0) == "0%" and w.percent(1) == "100%"
    assert w.percent(0.643) == "64%"
    assert (
        w.percent(None) == "not known"
        and w.percent(None, unknown="not available") == "not available"
    )
    with pytest.raises(ParameterError):
        w.percent(1.5)


def test_one_chance_formatter_in_three_styles():
    assert w.chance_in_words(0.881) == "about 9 in 10"
    assert w.chance_in_words(0.999) == "almost certain"
    assert w.chance_in_words(0.881, "about") == "about 88 in 100"
    assert w.chance_in_words(0.881, "in 100") == "88 in 100"
    for style in ("about", "in 100"):
        assert w.chance_in_words(0.999, style) == "more than 99 in 100"
        assert w.chance_in_words(0.995, style) == "more than 99 in 100"
        assert w.chance_in_words(0.001, style) == "fewer than 1 in 100"
    assert w.chance(0.881) == "88% (about 9 in 10)"
    with pytest.raises(ParameterError):
        w.chance_in_words(0.5, "short")


def test_ranks_dates_and_ratings():
    assert [w.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"
    ]  # fmt: skip
    assert w.date_words("2022-10-18") == "18 Oct 2022" and w.date_words("2022-11") == "Nov 2022"
    assert w.date_words("") == "not published"
    assert (
        w.rating_words("RI") == "Requires improvement (RI)"
        and w.rating_words(None) == "not published"
    )
    assert w.count_words(9) == "nine" and w.count_words(27) == "27"


def test_the_default_framework_reads_as_before():
    assert w.bands_sentence() == (
        "Below 50% is Inadequate (I), 50 to 64% Requires improvement (RI), 65 to 79% Good (G), 80% or "
        "more Outstanding (O)."
    )
    assert w.points_sentence().startswith(
        "Each of the nine standards scores 0 (I), 1 (RI), 2 (G) or 3 (O)."
    )
    assert "Out of 27: 0 to 4 is Inadequate (I), 5 to 13" in w.points_sentence()
    assert w.band_thresholds() == "50%, 65% and 80%"
    assert g.GLOSSARY["lowest-banding rule"].endswith(
        "below 50% of cases sufficient is Inadequate, 50-64% Requires improvement, 65-79% Good, "
        "80% or more Outstanding."
    )


@pytest.fixture
def other_framework(tmp_path):
    """The shipped framework with other thresholds (40/60/75%) and other points bands (0-5, 6-12, ...)."""
    text = (FRAMEWORK_DIR / "pdu_2021.toml").read_text()
    text = text.replace('id = "pdu-2021"', 'id = "test-other"').replace(
        "default = true", "default = false"
    )
    for old, new in (('"0.50"', '"0.40"'), ('"0.65"', '"0.60"'), ('"0.80"', '"0.75"')):
        assert old in text
        text = text.replace(old, new)
    old_bands = (
        '{ rating = "Inadequate", from = 0, to = 4 },\n'
        '  { rating = "Requires improvement", from = 5, to = 13 },'
    )
    assert old_bands in text
    text = text.replace(
        old_bands,
        '{ rating = "Inadequate", from = 0, to = 5 },\n'
        '  { rating = "Requires improvement", from = 6, to = 13 },',
    )
    path = tmp_path / "other.toml"
    path.write_text(text)
    return load_framework(str(path))


def test_words_follow_the_framework_file(other_framework):
    fw = other_framework
    assert w.bands_sentence(fw) == (
        "Below 40% is Inadequate (I), 40 to 59% Requires improvement (RI), 60 to 74% Good (G), 75% or "
        "more Outstanding (O)."
    )
    assert w.band_thresholds(fw) == "40%, 60% and 75%"
    assert (
        "Out of 27: 0 to 5 is Inadequate (I), 6 to 13 Requires improvement (RI)"
        in w.points_sentence(fw)
    )
    entries = g.glossary(fw)
    assert (
        "below 40% of cases sufficient is Inadequate, 40-59% Requires improvement"
        in entries["lowest-banding rule"]
    )
    assert "(0-5 Inadequate, 6-13 Requires improvement" in entries["points"]
    assert (
        entries["band"]
        == "Where a share falls: I below 40%, RI 40 to 59%, G 60 to 74%, O 75% or more."
    )
    assert dict(g.pack_glossary(fw))["Band"] == entries["band"]
    for text in (w.bands_sentence(fw), entries["lowest-banding rule"], entries["band"]):
        assert "50" not in text and "65" not in text and "80" not in text


def test_the_pack_methods_and_table_specs_follow_the_framework_file(other_framework):
    from types import SimpleNamespace

    from hmip.analyses.pack_tables import table_specs
    from hmip.analyses.pack_text import methods_text
    from hmip.stats.disclosure import get_rule

    fw = other_framework
    inp = SimpleNamespace(
        equality_measure=("implementation_and_delivery", "engagement"),
        position_measure=("assessment", "safety"),
        level=0.95,
        draws=10000,
        data=SimpleNamespace(counts=None),
    )
    methods = dict(methods_text(inp, get_rule("nhs"), framework=fw))
    assert w.bands_sentence(fw) in methods["How a standard is rated"]
    assert methods["Overall rating and points"] == w.points_sentence(fw)
    assert (
        table_specs(fw)["overall"][3]["Points"] == "Total points (0 to 27); [x] where not published"
    )


def test_one_glossary_for_every_report_and_the_pack():
    for name in ("london_comparison", "sample_size", "ethnicity"):
        terms = importlib.import_module(f"hmip.analyses.{name}").GLOSSARY_TERMS
        assert set(terms) <= set(g.GLOSSARY), name
    assert [t for t, _ in g.pack_glossary()][:3] == ["PDU", "HMIP", "Key question"]
    assert all(t.lower() in {k.lower() for k in g.GLOSSARY} for t, _ in g.pack_glossary())
    with pytest.raises(ParameterError):
        g.glossary_for(["no such term"])


def test_terms_used_leaves_out_percentage_points_and_main_points():
    assert g.terms_used("Main points: 5 percentage points") == ["percentage point"]
    assert g.terms_used("the PDU's points") == ["PDU", "points"]


def test_report_prose_names_the_framework_thresholds(other_framework):
    import pandas as pd

    from hmip.analyses.sample_size import conclusion

    kq = pd.DataFrame(columns=["label", "yes", "n", "share", "band", "Inadequate", "Requires improvement",
                               "Good", "Outstanding", "p_same_band_fresh_sample"])  # fmt: skip
    default = conclusion("X", kq, None, None, 42)[-1]
    other = conclusion("X", kq, None, None, 42, framework=other_framework)[-1]
    assert "50%, 65% or 80%" in default
    assert "40%, 60% or 75%" in other and "65%" not in other

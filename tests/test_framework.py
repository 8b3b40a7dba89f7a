"""The inspection framework is data: a second framework needs a file, not code."""

import textwrap

import pytest

from hmip.errors import FrameworkError
from hmip.rules.framework import available_frameworks, default_framework, load_framework
from hmip.rules.ratings import Rating, overall_rating, standard_rating


def test_default_framework_has_nine_rated_standards_and_27_points():
    fw = default_framework()
    assert len(fw.rated_standards) == 9
    assert [s.code for s in fw.judgement_standards] == ["1.1", "1.2", "1.3", "1.4"]
    assert [s.id for s in fw.case_sample_standards] == [
        "court_work",
        "assessment",
        "planning",
        "implementation_and_delivery",
        "reviewing",
    ]
    assert {s.id for s in fw.standards if not s.rated} == {"outcomes", "statutory_victim_work"}
    assert {sc.max_points for sc in fw.overall_scales} == {27, 24}
    assert all(len(s.key_questions) == 3 for s in fw.case_sample_standards)
    assert (
        fw.key_question("Assessment", "safety").text
        == "Does assessment focus sufficiently on keeping other people safe?"
    )
    assert "pdu-2021" in available_frameworks()


def test_lookups_accept_id_code_and_name_and_suggest_near_misses():
    fw = default_framework()
    assert fw.standard("2.2") is fw.standard("Assessment") is fw.standard("assessment")
    with pytest.raises(FrameworkError, match="did you mean 'Assessment'"):
        fw.standard("Assesment")


LATER_MODEL = textwrap.dedent("""
    id = "pdu-2024-test"
    name = "A four-standard model (test)"
    [banding]
    thresholds = [{ rating = "Requires improvement", at_least = "0.50" }, { rating = "Good", at_least = "0.65" }, { rating = "Outstanding", at_least = "0.80" }]
    [[overall_scales]]
    id = "full"
    max_points = 12
    bands = [{ rating = "Inadequate", from = 0, to = 2 }, { rating = "Requires improvement", from = 3, to = 6 }, { rating = "Good", from = 7, to = 9 }, { rating = "Outstanding", from = 10, to = 12 }]
    [[domains]]
    id = 1
    name = "All"
    [[standards]]
    id = "leadership"
    code = "1"
    name = "Leadership"
    domain = 1
    method = "judgement"
    [[standards]]
    id = "assessment_and_planning"
    code = "2"
    name = "Assessment and planning"
    domain = 1
    method = "case_sample"
    key_questions = [{ id = "safety", text = "Keeping people safe?" }, { id = "desistance", text = "Desistance?" }]
    [[standards]]
    id = "delivery"
    code = "3"
    name = "Delivery"
    domain = 1
    method = "judgement"
    [[standards]]
    id = "reviewing"
    code = "4"
    name = "Reviewing"
    domain = 1
    method = "judgement"
""")


def test_a_second_framework_is_a_data_file(tmp_path):
    path = tmp_path / "later.toml"
    path.write_text(LATER_MODEL)
    fw = load_framework(str(path))
    assert len(fw.rated_standards) == 4
    r = standard_rating(
        {"safety": (6, 4), "desistance": (9, 1)}, standard="assessment_and_planning", framework=fw
    )
    assert r.rating == Rating.REQUIRES_IMPROVEMENT
    res = overall_rating(
        {"leadership": "G", "assessment_and_planning": r.rating, "delivery": "G", "reviewing": "G"},
        framework=fw,
    )
    assert (res.points, res.max_points, res.rating) == (7, 12, Rating.GOOD)


def test_malformed_framework_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(LATER_MODEL.replace("to = 12", "to = 11"))
    with pytest.raises(FrameworkError, match="cover 0-12"):
        load_framework(str(path))

"""Each notebook runs under papermill with its defaults and with other parameters, and shows the right values."""

import html
import re

import nbformat
import papermill as pm
import pytest

from hmip.build.kernel import KERNEL_NAME, ipc_kernel

pytestmark = pytest.mark.notebooks


def run(root, tmp_path_factory, name, **params):
    out = tmp_path_factory.mktemp("nb") / f"{name}.ipynb"
    with ipc_kernel(KERNEL_NAME) as km:  # the report builder's set-up: IPC, private directory
        pm.execute_notebook(
            str(root / "notebooks" / f"{name}.ipynb"),
            str(out),
            parameters=params,
            kernel_name=KERNEL_NAME,
            km=km,
            progress_bar=False,
            cwd=str(out.parent),
        )
    return nbformat.read(out, as_version=4)


def text_of(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            h = re.sub(r"base64,[A-Za-z0-9+/=]+", "", data.get("text/html", ""))
            h = re.sub(r'alt="[^"]*"', "", h)
            parts.append(html.unescape(re.sub(r"<[^>]+>", " ", h)))
            parts.append(o.get("text", ""))
    return re.sub(r"\s+", " ", " ".join(parts))


@pytest.fixture
def report_text(root, tmp_path_factory):
    """``report_text(name, **params)``: the text the notebook shows, run with ``params``."""
    return lambda name, **params: text_of(run(root, tmp_path_factory, name, **params))


def html_of(nb) -> str:
    return "".join(
        o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", [])
    )


@pytest.fixture(scope="module")
def london(root, tmp_path_factory):
    return run(root, tmp_path_factory, "london_comparison")


def test_london_comparison_defaults(london):
    text = text_of(london)
    assert "Simulated case data" in text
    assert (
        "HMIP rated the 6 London PDUs it inspected: 4 I Inadequate and 2 RI Requires improvement"
        in text
    )
    assert (
        text.count("Agrees with HMIP") == 1 and " NO " not in text
    )  # no recomputed rating contradicts HMIP's
    # organisational delivery ratings HMIP did not publish are never simulated as ratings (issue 20):
    # the rating cannot be checked, and the points are the range they would allow
    assert text.count("cannot check: HMIP did not publish its organisational delivery ratings") == 4
    assert "3-15, depending on the 4 unpublished organisational ratings" in text  # Newham
    assert "8 (simulated)" not in text
    assert "all 20 were I Inadequate" in text  # the published case-sample standard ratings
    assert "Lewisham and Bromley: HMIP rated it I Inadequate (4 of 27 points, implied)" in text
    assert "can be told apart by rank" in text
    # national context: the claim is tested from the figures
    assert "'somewhere in the middle'" in text and "20th of 36" in text


def test_london_comparison_with_a_highlighted_pdu_and_options(root, tmp_path_factory):
    nb = run(
        root,
        tmp_path_factory,
        "london_comparison",
        highlight_pdu="Newham",
        interval_method="jeffreys",
        overdispersion="multiplicative",
        funnel_key_question="engagement",
        confidence=0.9,
    )
    text = text_of(nb)
    assert "highlight_pdu = Newham" in text and "Jeffreys, 90% level" in text and "phi =" in text


def test_london_comparison_refuses_a_bad_parameter(root, tmp_path_factory):
    with pytest.raises(pm.PapermillExecutionError, match="did you mean 'Lambeth'"):
        run(root, tmp_path_factory, "london_comparison", highlight_pdu="Lambith")


def test_sample_size_sensitivity_defaults(report_text):
    text = report_text("sample_size_sensitivity")
    assert (
        "HMIP rated Lewisham and Bromley I Inadequate overall (November 2022), with 4 of 27 points"
        in text
    )
    assert (
        "Lewisham and Bromley would be rated I Inadequate again 88% (about 9 in 10) of the time"
        in text
    )
    assert "Jeffreys" in text and "exact binomial" in text and "No later audit was given" in text


def test_sample_size_sensitivity_other_pdu_caseload_and_reaudit(tmp_path_factory, report_text):
    tmp = tmp_path_factory.mktemp("audit")
    audit = tmp / "audit_counts.csv"
    audit.write_text(
        "pdu,standard,key_question,yes,no\nNewham,assessment,safety,20,22\nNewham,planning,engagement,30,12\n"
    )
    text = report_text(
        "sample_size_sensitivity",
        pdu="Newham",
        caseload=2000,
        second_sample_path=str(audit),
        accuracy_target=0.9,
    )
    assert "caseload = 2000" in text and "finite population" in text
    assert "improvement is NOT proven" in text or "improvement is supported" in text


@pytest.fixture(scope="module")
def ethnicity(root, tmp_path_factory):
    return run(root, tmp_path_factory, "ethnicity_disproportionality")


def test_ethnicity_defaults_show_no_count_of_1_to_7_people(ethnicity):
    doc = html_of(ethnicity)
    assert "Cases (group)" in doc  # the pooled table's counts are checked too
    # every table cell in a count column is 0, a multiple of 5 of at least 10, or the marker
    for table in re.findall(r"<table.*?</table>", doc, flags=re.S):
        header = [
            re.sub(r"<[^>]+>", "", html.unescape(h)).replace("simulated", "").strip()
            for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0], flags=re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[-1], flags=re.S):
            cells = [
                html.unescape(c).strip()
                for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
            ]
            for h, c in zip(header, cells, strict=False):
                if h in {
                    "Cases",
                    "Ethnicity not recorded",
                    "Sufficient",
                    "Cases (group)",
                    "Cases (reference)",
                }:
                    assert c == "[REDACTED]" or c == "0" or (int(c) % 5 == 0 and int(c) >= 10), (
                        h,
                        c,
                    )
    text = text_of(ethnicity)
    assert (
        "[REDACTED]" in text
        and "Simulated case data" in text
        and "NHS England / OpenSAFELY rule" in text
    )
    assert "Breslow-Day" in text and "Mantel-Haenszel" in text and "not proof of cause" in text


def test_ethnicity_single_pdu_and_ons_groups(report_text):
    text = report_text(
        "ethnicity_disproportionality",
        pdu="Lewisham and Bromley",
        grouping="ons5",
        exact_test="fisher",
    )
    assert "pdu = Lewisham and Bromley" in text and "Fisher's exact test" in text
    assert "a 20-point gap would be detected only about" in text or "too few cases" in text.lower()


def test_audit_progress_defaults(report_text):
    text = report_text("audit_progress")
    assert (
        "Compared with the inspection, the PDU's own audits of the last 12 months (80 cases) show a real improvement on 4 of 15 key questions"
        in text
    )
    assert "The audit series is SIMULATED" in text and "illustrative example" in text
    assert (
        "Overall, a fresh 42-case inspection would most likely rate the PDU RI Requires improvement (73%, about 3 in 4) rather than Inadequate (27%)"
        in text
    )
    assert "An uplift of 6 points (from 29% to 35%) is within what chance alone gives" in text
    assert "Out of date: it agreed with the audits in Jun 2023" in text
    assert "Holm" in text and "Wilson score" in text and "binomial regression" in text


def test_audit_progress_half_life_and_no_progress_file(report_text):
    text = report_text("audit_progress", half_life_months=6.0, progress_path="none", adjust="bh")
    assert "halving for every 6 months" in text and "Benjamini-Hochberg" in text
    assert "half_life_months = 6.0" in text and "Reported status" in text

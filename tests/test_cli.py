"""`hmip rate` and `hmip simulate` from the command line."""

import subprocess
import sys

from .conftest import BAD


def run(*args):
    return subprocess.run([sys.executable, "-m", "hmip.cli", *args], capture_output=True, text=True)


def test_rate_worked_example_prints_requires_improvement_with_explanation(tmp_path):
    p = tmp_path / "worked.csv"
    p.write_text(
        "pdu,standard,key_question,yes,no\nExample,Assessment,engagement,30,10\n"
        "Example,Assessment,desistance,28,12\nExample,Assessment,safety,24,16\n"
    )
    out = run("rate", str(p))
    assert out.returncode == 0, out.stderr
    assert "2.2 Assessment  Requires improvement" in out.stdout
    assert "'keeping other people safe', sufficient in 24 of 40 cases (60.0%)" in out.stdout
    csv_out = run("rate", str(p), "--format", "csv")
    assert csv_out.stdout.splitlines()[1].startswith(
        "Example,assessment,Requires improvement,safety,24,40"
    )


def test_rate_standard_ratings_gives_points_and_overall(root):
    out = run("rate", str(root / "data" / "simulated_standard_ratings_london_2022.csv"))
    assert out.returncode == 0
    block = out.stdout.split("Lewisham and Bromley")[1]
    assert "4 of 27" in block and "Inadequate (I)" in block


def test_rate_bad_file_exits_2_with_one_message_and_no_traceback():
    out = run("rate", str(BAD / "misspelt_standard.csv"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "misspelt_standard.csv, row 1 (line 2), column 'standard'" in out.stderr


def test_rate_unrecognised_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    out = run("rate", str(p))
    assert out.returncode == 2 and "not a recognised file" in out.stderr

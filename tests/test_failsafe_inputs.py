"""Issue 21, cases 8 and 9: a bad input ends in one clear line naming the file, with exit status 2
(never a traceback), and a progress file's impossible or future dates are refused with the row."""

from __future__ import annotations

import datetime
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hmip.data import recommendations
from hmip.data.recommendations import load_progress
from hmip.data.validation import MAX_FILE_BYTES, read_table
from hmip.errors import EXIT_BAD_INPUT, DataValidationError

HMIP = str(Path(sys.executable).with_name("hmip"))


def hmip(*args: str, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HMIP, *args], capture_output=True, text=True, preexec_fn=preexec_fn, timeout=300
    )


def one_clear_line(out: subprocess.CompletedProcess) -> str:
    """The single 'error: ...' line a refused input gives, checked for status 2 and no traceback."""
    assert out.returncode == EXIT_BAD_INPUT, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


# --- Case 8: one clear line --------------------------------------------------------------------------
def test_rate_a_folder_says_it_is_a_folder(tmp_path):
    line = one_clear_line(hmip("rate", str(tmp_path)))
    assert f"{tmp_path}: is a folder, not a file" in line


def _limit_memory() -> None:
    # 2 GiB of address space: pandas and numpy fit; reading /dev/zero whole does not
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_rate_dev_zero_under_a_memory_limit_is_refused_by_size():
    line = one_clear_line(hmip("rate", "/dev/zero", preexec_fn=_limit_memory))
    assert "/dev/zero: is larger than 50 MiB, the largest data file accepted" in line


def test_a_file_over_the_size_limit_is_refused_without_reading_it_whole(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(MAX_FILE_BYTES + 1)
    line = one_clear_line(hmip("rate", str(big), preexec_fn=_limit_memory))
    assert f"{big}: is larger than 50 MiB" in line
    exact = tmp_path / "exact.csv"
    exact.write_bytes(b"pdu,standard,rating\n")
    with pytest.raises(DataValidationError, match="has a header but no data rows"):
        read_table(exact)


def test_a_binary_file_is_refused_as_not_text(tmp_path):
    png = tmp_path / "chart.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert "not UTF-8 encoded" in one_clear_line(hmip("rate", str(png)))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"pdu,standard,rating\nNewham,assessment,Good\x00\n")
    line = one_clear_line(hmip("rate", str(nul)))
    assert f"{nul}: not a text file (it holds a NUL byte on line 2)" in line


def test_pack_out_an_existing_file_says_the_path_is_a_file(tmp_path):
    existing = tmp_path / "existing"
    existing.write_text("keep me\n", encoding="utf-8")
    line = one_clear_line(hmip("pack", "--out", str(existing)))
    assert f"--out {existing}: the path exists and is a file" in line
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    below = existing / "pack"
    line = one_clear_line(hmip("pack", "--out", str(below)))
    assert f"{existing} is a file" in line


# --- Case 9: progress dates ----------------------------------------------------------------------------
HEADER = "pdu,recommendation,action,status,evidence,date\n"


@pytest.mark.parametrize(
    "date, message",
    [
        ("2023-02-30", "'2023-02-30' is not a real date (February 2023 has 28 days)"),
        ("2024-02-30", "'2024-02-30' is not a real date (February 2024 has 29 days)"),
        ("2023-04-31", "'2023-04-31' is not a real date (April 2023 has 30 days)"),
        ("2099-12-31", "'2099-12-31' is in the future"),
        ("2099-12", "'2099-12' is in the future"),
    ],
)
def test_progress_refuses_impossible_and_future_dates_naming_file_row_and_column(
    tmp_path, date, message
):
    path = tmp_path / "progress.csv"
    path.write_text(
        HEADER
        + "Lewisham and Bromley,1,Audit,on track,,2023-06-30\n"
        + f"Lewisham and Bromley,2,Audit,on track,,{date}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_progress(path)
    [problem] = info.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 2, "date")
    assert message in problem.message
    assert f"{path}, row 2 (line 3), column 'date': {message}" in str(info.value)


def test_progress_dates_up_to_today_are_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(recommendations, "_today", lambda: datetime.date(2024, 2, 29))
    path = tmp_path / "progress.csv"
    path.write_text(
        HEADER
        + "Lewisham and Bromley,1,Audit,on track,,2024-02-29\n"
        + "Lewisham and Bromley,2,Audit,on track,,2024-02\n"
        + "Lewisham and Bromley,3,Audit,on track,,2023-12-31\n",
        encoding="utf-8",
    )
    assert list(load_progress(path)["date"]) == ["2024-02-29", "2024-02", "2023-12-31"]
    path.write_text(HEADER + "Lewisham and Bromley,1,Audit,on track,,2024-03-01\n")
    with pytest.raises(
        DataValidationError, match=r"'2024-03-01' is in the future \(today is 2024-02-29\)"
    ):
        load_progress(path)


def test_progress_action_or_evidence_of_symbols_only_is_refused(tmp_path):
    path = tmp_path / "progress.csv"
    path.write_text(
        HEADER
        + "Lewisham and Bromley,1,-,on track,,2023-06\n"
        + "Lewisham and Bromley,2,Audit,on track,=,2023-06\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_progress(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "action"), (2, "evidence")]


def test_pack_command_refuses_a_future_progress_date_with_status_2(tmp_path):
    path = tmp_path / "progress.csv"
    path.write_text(HEADER + "Lewisham and Bromley,1,Audit,on track,,2099-12-31\n")
    line = one_clear_line(
        hmip("pack", "--out", str(tmp_path / "out"), "--progress-path", str(path))
    )
    assert f"{path}, row 1 (line 2), column 'date': '2099-12-31' is in the future" in line
    assert not (tmp_path / "out").exists()

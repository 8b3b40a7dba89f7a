"""A seeded, clearly labelled SIMULATED series of internal case audits for Lewisham and Bromley.

Nothing here is real: it is a demonstration series in the audit format (:mod:`hmip.data.audits`)
for the audit-progress analysis, written to ``data/simulated_audits_lewisham_and_bromley.csv``
(every row's ``note`` says "SIMULATED"). Assumptions (also in ``docs/assumptions.md``, S15-S22):

- **Dates**: the HMPPS operational assurance re-audit that concluded in Dec 2022 (dated 16 Dec 2022),
  then one audit at the end of every quarter from 31 Mar 2023 to 30 Sep 2026 (16 audits; the
  Dec 2026 audit has not happened yet on 3 Dec 2026).
- **Size**: 20 cases per audit, drawn by the inspection's proportional stratification (gender x
  sentence type x RoSH low / not low; :func:`hmip.data.simulate._case_characteristics`).
- **Starting point**: each key question's share in the (simulated) inspection sample of 42 cases
  (``simulated_cases_london_2022.csv``), lifted from 0.02 / 0.98 into the open interval, on the
  logit scale.
- **The published re-audit**: the PDU said its Dec 2022 re-audit "demonstrated a 6% uplift in the
  overall score". Taken here as 6 percentage points on the share of all key-question answers judged
  sufficient (every key question pooled), against the inspection's same pooled share. Every key
  question gets the same step of :data:`STEP_LOGIT` on the logit scale from the action plan
  (Nov 2022), and the re-audit is redrawn until its pooled uplift rounds to 6 points.
- **Trends after the step** (logit per year since the fieldwork week, 22 Aug 2022):
  :data:`TRENDS`: the four "keeping other people safe" questions of assessment, planning,
  implementation and delivery and reviewing improve (recommendation 1, the Quality Improvement
  Programme); planning and delivery on desistance improve a little (recommendation 4); every
  other key question, including court work, stays where the step left it.
- **Coverage**: court work is audited in the Dec and Jun audits only (the others leave its columns
  blank); court work applies to community cases only (licence cases n/a); 7% of cases have not yet
  been reviewed (reviewing n/a).
- **Correlation**: answers on the same case share a latent case-quality term (probit scale,
  correlation 0.5), as in the inspection simulation.

Same seed -> the same bytes (:data:`DEFAULT_AUDIT_SEED`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from scipy import stats

from hmip.data.audits import AUDIT_DATE_COLUMN, SIMULATED_AUDITS_FILE
from hmip.data.cases import CASE_ID_COLUMNS, load_cases
from hmip.data.simulate import (
    DEFAULT_LATENT_CORRELATION,
    REVIEWING_NOT_APPLICABLE,
    PduSpec,
    _case_characteristics,
    records_csv,
)
from hmip.errors import SimulationError
from hmip.paths import data_dir
from hmip.rules.framework import Framework, framework_or_default

#: The audit series' own seed: 16 Dec 2022, the day the simulated re-audit concluded.
DEFAULT_AUDIT_SEED = 20221216
PDU = "Lewisham and Bromley"
#: The inspection's fieldwork week: time zero of the trends.
INSPECTION_DATE = dt.date(2022, 8, 22)
#: The re-audit the PDU reported (concluded Dec 2022; the day is assumed).
REAUDIT_DATE = dt.date(2022, 12, 16)
#: The published uplift of the re-audit, taken as percentage points of the pooled share sufficient.
REAUDIT_UPLIFT_POINTS = 6
#: The step every key question takes with the action plan, on the logit scale (about 6 points near 35%).
STEP_LOGIT = 0.27
CASES_PER_AUDIT = 20
#: Trend after the step, logit per year since the inspection; key questions not listed: 0.
TRENDS = {
    "assessment.safety": 0.45,
    "planning.safety": 0.40,
    "implementation_and_delivery.safety": 0.35,
    "reviewing.safety": 0.35,
    "planning.desistance": 0.15,
    "implementation_and_delivery.desistance": 0.15,
}
#: Court work is audited in these months only.
COURT_WORK_MONTHS = (6, 12)
NOTE = "SIMULATED by hmip.data.simulate_audits; not real audit records"


def audit_dates(last: dt.date = dt.date(2026, 9, 30)) -> list[dt.date]:
    """The re-audit of Dec 2022, then the last day of every quarter from Mar 2023 to ``last``."""
    dates = [REAUDIT_DATE]
    year, month = 2023, 3
    while True:
        nxt = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        if nxt > last:
            return dates
        dates.append(nxt)
        month += 3
        if month > 12:
            year, month = year + 1, month - 12


def inspection_shares(framework: Framework | None = None) -> dict[str, float]:
    """Each key question's share sufficient in the simulated inspection sample of Lewisham and Bromley."""
    fw = framework_or_default(framework)
    cases = load_cases(framework=fw)
    cases = cases[cases["pdu"] == PDU]
    out = {}
    for kq in fw.key_questions:
        a = cases[kq.qualified_id].astype(str)
        yes, n = int((a == "yes").sum()), int(a.isin(["yes", "no"]).sum())
        out[kq.qualified_id] = float(np.clip(yes / n, 0.02, 0.98))
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def expected_share(qid: str, start: float, when: dt.date) -> float:
    """The simulated true share of a key question on a date: start, the step, then its trend."""
    years = (when - INSPECTION_DATE).days / 365.25
    x = _logit(start) + STEP_LOGIT + TRENDS.get(qid, 0.0) * years
    return float(1 / (1 + np.exp(-x)))


def _draw_audit(when, starts, fw, rng) -> list[dict]:
    spec = PduSpec(pdu=PDU, n_cases=CASES_PER_AUDIT)
    cases = _case_characteristics(spec, rng)
    z = rng.standard_normal(len(cases))
    rho = DEFAULT_LATENT_CORRELATION
    not_reviewed = rng.random(len(cases)) < REVIEWING_NOT_APPLICABLE
    audit_id = (
        "HMPPS re-audit (OSAG) Dec 2022" if when == REAUDIT_DATE else f"QA audit {when:%b %Y}"
    )
    records = [
        {
            AUDIT_DATE_COLUMN: when.isoformat(),
            "audit_id": audit_id,
            "case_id": f"LB-A{when:%y%m}-{i + 1:02d}",
            "pdu": PDU,
            "gender": c["gender"],
            "sentence_type": c["sentence_type"],
            "rosh": c["rosh"],
            "ethnicity": c["ethnicity"],
            "note": NOTE,
        }
        for i, c in enumerate(cases)
    ]
    for std in fw.case_sample_standards:
        covered = std.id != "court_work" or when.month in COURT_WORK_MONTHS
        applies = np.array([all(c[f] in v for f, v in std.applies_to.items()) for c in cases])
        if std.id == "reviewing":
            applies &= ~not_reviewed
        for kq in std.key_questions:
            qid = kq.qualified_id
            mu = stats.norm.ppf(expected_share(qid, starts[qid], when))
            latent = mu + np.sqrt(rho) * z + np.sqrt(1 - rho) * rng.standard_normal(len(cases))
            for rec, yes, ok in zip(records, latent > 0, applies, strict=True):
                rec[qid] = "" if not covered else ("n/a" if not ok else ("yes" if yes else "no"))
    return records


def _pooled(records: list[dict], fw: Framework) -> float:
    answers = [r[kq.qualified_id] for r in records for kq in fw.key_questions]
    n = sum(a in ("yes", "no") for a in answers)
    return sum(a == "yes" for a in answers) / n


def simulate_audits(
    *, seed: int = DEFAULT_AUDIT_SEED, framework: Framework | None = None, max_tries: int = 5000
) -> list[dict]:
    """The simulated audit records (one dict per audited case, in the audit file's columns)."""
    fw = framework_or_default(framework)
    rng = np.random.default_rng(seed)
    starts = inspection_shares(fw)
    cases = load_cases(framework=fw)
    inspection = cases[cases["pdu"] == PDU]
    before = _pooled(inspection.astype(str).to_dict("records"), fw)
    records = []
    for when in audit_dates():
        if when == REAUDIT_DATE:
            for _ in range(max_tries):
                draw = _draw_audit(when, starts, fw, rng)
                if round(100 * (_pooled(draw, fw) - before)) == REAUDIT_UPLIFT_POINTS:
                    break
            else:
                raise SimulationError(
                    f"could not draw a re-audit with a {REAUDIT_UPLIFT_POINTS}-point uplift"
                )
        else:
            draw = _draw_audit(when, starts, fw, rng)
        records += draw
    return records


def audit_columns(framework: Framework | None = None) -> list[str]:
    fw = framework_or_default(framework)
    return [
        AUDIT_DATE_COLUMN,
        "audit_id",
        *CASE_ID_COLUMNS,
        *(kq.qualified_id for kq in fw.key_questions),
        "note",
    ]


def audits_csv(records: list[dict], framework: Framework | None = None) -> str:
    return records_csv(records, audit_columns(framework))


def write_audit_series(
    out_dir: str | Path | None = None, *, seed: int = DEFAULT_AUDIT_SEED
) -> Path:
    """Write ``simulated_audits_lewisham_and_bromley.csv`` to ``out_dir`` (default ``data/``)."""
    out = Path(out_dir) if out_dir else data_dir()
    out.mkdir(parents=True, exist_ok=True)
    path = out / SIMULATED_AUDITS_FILE
    path.write_text(audits_csv(simulate_audits(seed=seed)), encoding="utf-8", newline="")
    return path

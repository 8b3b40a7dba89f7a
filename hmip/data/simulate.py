"""A seeded, clearly labelled SIMULATED case-level sample.

HMIP does not publish case-level records. This module makes a demonstration sample in the
case-level format (see data/README.md) that agrees with everything published for London 2022:

- 42 cases per PDU, drawn by proportional stratification on gender x sentence type x RoSH
  (low / not low), as in HMIP's case sampler; ethnicity is not a stratification variable;
- key questions on the same case are correlated through a latent case-quality term;
- each case-sample standard's recomputed rating equals its published, implied or (where the record
  is silent) simulated target, by rejection sampling on that standard's answers;
- the London-wide share of cases sufficient on "assessment ... keeping other people safe" is kept
  within 3 points of the published 25%;
- a known ethnicity effect: for people from ethnic minority groups (MoJ definition, excluding White
  minority groups) the chance of a "sufficient" judgement on the affected key questions is reduced
  by ``ethnicity_effect`` (a relative reduction: 0 means no effect, 0.20 multiplies the chance by
  0.80, i.e. a risk ratio of 1 - effect). Because the effect multiplies the probability, it is
  collapsible over the latent term: the pooled risk ratio by PDU estimates 1 - effect without bias.

Every choice is listed in docs/assumptions.md. Same seed -> the same bytes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from hmip.data.cases import SIMULATED_CASES_FILE, case_columns
from hmip.data.ethnicity import ASIAN, BLACK, MIXED, NOT_RECORDED, ONS_DETAILED, OTHER
from hmip.data.loaders import PUBLISHED_STANDARDS_FILE, SIMULATED_RATINGS_FILE, load_published
from hmip.data.simulation_defaults import DEFAULT_ETHNICITY_EFFECT, DEFAULT_SEED  # noqa: F401 (re-exported)
from hmip.errors import SimulationError
from hmip.paths import data_dir
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating, standard_rating

SIMULATION_NOTE = "simulated by hmip.data.simulate; not real case records"

#: Expected share sufficient used to aim at each band (before rejection on the band).
BAND_TARGET_SHARE = {
    Rating.INADEQUATE: 0.38,
    Rating.REQUIRES_IMPROVEMENT: 0.58,
    Rating.GOOD: 0.72,
    Rating.OUTSTANDING: 0.87,
}

#: Caseload mix for stratification [assumption: plausible London probation caseload].
GENDER_MIX = {"male": 0.89, "female": 0.11}
SENTENCE_MIX = {"community": 0.55, "licence": 0.45}
ROSH_LOW_SHARE = 0.25
ROSH_NOT_LOW_MIX = {"medium": 0.62, "high": 0.34, "very high": 0.04}

#: Ethnicity mix (detailed ONS categories) [assumption: plausible London caseload mix].
ETHNICITY_MIX = {
    "English, Welsh, Scottish, Northern Irish or British": 0.34,
    "Irish": 0.02,
    "Gypsy or Irish Traveller": 0.005,
    "Roma": 0.005,
    "Any other White background": 0.12,
    "White and Black Caribbean": 0.03,
    "White and Black African": 0.01,
    "White and Asian": 0.005,
    "Any other Mixed or Multiple background": 0.015,
    "Indian": 0.02,
    "Pakistani": 0.015,
    "Bangladeshi": 0.02,
    "Chinese": 0.003,
    "Any other Asian background": 0.022,
    "Caribbean": 0.10,
    "African": 0.10,
    "Any other Black, Black British, or Caribbean background": 0.05,
    "Arab": 0.01,
    "Any other ethnic group": 0.03,
    NOT_RECORDED: 0.08,
}
MINORITY_GROUPS = (MIXED, ASIAN, BLACK, OTHER)

DEFAULT_AFFECTED = (
    "planning.engagement",
    "planning.desistance",
    "implementation_and_delivery.engagement",
)
#: Correlation of the latent case-quality term between key questions on the same case.
DEFAULT_LATENT_CORRELATION = 0.5
#: Share of cases not yet reviewed (all reviewing questions n/a) [assumption].
REVIEWING_NOT_APPLICABLE = 0.07

#: Where the published record is silent, the ratings the London simulation uses (basis simulated).
LONDON_SIMULATED_CHOICES = {
    "Lambeth": {
        "leadership": "RI",
        "staff": "I",
        "services": "RI",
        "information_and_facilities": "RI",
    },
    "Ealing and Hillingdon": {
        "leadership": "I",
        "staff": "RI",
        "services": "RI",
        "information_and_facilities": "RI",
    },
    "Newham": {
        "leadership": "RI",
        "staff": "RI",
        "services": "RI",
        "information_and_facilities": "G",
        "court_work": "RI",
        "assessment": "I",
        "planning": "RI",
        "implementation_and_delivery": "RI",
        "reviewing": "I",
    },
    "Barking, Dagenham and Havering": {
        "leadership": "RI",
        "staff": "RI",
        "services": "RI",
        "information_and_facilities": "RI",
        "court_work": "G",
        "assessment": "I",
        "planning": "RI",
        "implementation_and_delivery": "I",
        "reviewing": "RI",
    },
}
#: London-wide constraint from the Nov 2022 press release: 25% satisfactory on RoSH assessment.
LONDON_SAFETY_TARGET = ("assessment.safety", 0.25, 0.03)


def _check_effect(effect: float) -> float:
    if not 0 <= effect < 1:
        raise SimulationError(
            f"ethnicity_effect {effect} must be a relative reduction from 0 (no effect) to below 1"
        )
    return float(effect)


@dataclass
class PduSpec:
    pdu: str
    region: str = "London"
    n_cases: int = 42
    #: target rating per rated standard (None: unconstrained, drawn from ``quality``)
    ratings: dict[str, Rating | None] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)
    #: expected share sufficient for particular key questions (qualified id), overriding the band target
    kq_share: dict[str, float] = field(default_factory=dict)
    #: PDU quality on the logit scale, used when a standard has no target
    quality: float = 0.0


@dataclass
class Scenario:
    name: str
    pdus: list[PduSpec]
    seed: int = DEFAULT_SEED
    ethnicity_effect: float = DEFAULT_ETHNICITY_EFFECT
    affected_key_questions: tuple[str, ...] = DEFAULT_AFFECTED
    latent_correlation: float = DEFAULT_LATENT_CORRELATION
    #: (qualified key question, target share, tolerance) across all PDUs, or None
    regional_constraint: tuple[str, float, float] | None = None


# --- Scenarios ----------------------------------------------------------------------------------------
def london_2022_scenario(
    *,
    seed: int = DEFAULT_SEED,
    ethnicity_effect: float = DEFAULT_ETHNICITY_EFFECT,
    framework: Framework | None = None,
) -> Scenario:
    """The six London PDUs inspected in 2022, constrained by every published and implied rating."""
    fw = framework_or_default(framework)
    published = load_published(data_dir() / PUBLISHED_STANDARDS_FILE, framework=fw)
    safety_kq, safety_share, _ = LONDON_SAFETY_TARGET
    specs = []
    for pdu, rows in published.groupby("pdu", sort=False):
        spec = PduSpec(pdu=pdu, kq_share={safety_kq: safety_share})
        choices = LONDON_SIMULATED_CHOICES.get(pdu, {})
        for row in rows.itertuples():
            if pd.notna(row.rating):
                spec.ratings[row.standard], spec.bases[row.standard] = (
                    Rating.parse(row.rating),
                    row.basis,
                )
            elif row.standard in choices:
                spec.ratings[row.standard], spec.bases[row.standard] = (
                    Rating.parse(choices[row.standard]),
                    "simulated",
                )
        missing = [s.id for s in fw.rated_standards if s.id not in spec.ratings]
        if missing:
            raise SimulationError(f"{pdu}: no published or simulated rating for {missing}")
        specs.append(spec)
    return Scenario(
        "london-2022",
        specs,
        seed=seed,
        ethnicity_effect=_check_effect(ethnicity_effect),
        regional_constraint=LONDON_SAFETY_TARGET,
    )


def national_scenario(
    n_pdus: int = 110,
    *,
    seed: int = DEFAULT_SEED,
    ethnicity_effect: float = DEFAULT_ETHNICITY_EFFECT,
    n_cases: int = 42,
) -> Scenario:
    """A national-scale set of unconstrained simulated PDUs (for benchmarks and validation)."""
    rng = np.random.default_rng(seed + 1)
    specs = [
        PduSpec(
            pdu=f"Simulated PDU {i:03d}",
            region=f"Simulated region {i % 12 + 1:02d}",
            n_cases=n_cases,
            quality=float(rng.normal(0, 0.6)),
        )
        for i in range(1, n_pdus + 1)
    ]
    return Scenario(
        f"national-{n_pdus}", specs, seed=seed, ethnicity_effect=_check_effect(ethnicity_effect)
    )


# --- Generation ----------------------------------------------------------------------------------------
def _allocate(total: int, weights: dict) -> dict:
    """Largest-remainder allocation of ``total`` across ``weights`` (exact, deterministic)."""
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    for i in order[: total - base.sum()]:
        base[i] += 1
    return dict(zip(keys, base.tolist(), strict=True))


def _case_characteristics(spec: PduSpec, rng: np.random.Generator) -> list[dict]:
    strata = {}
    for g, pg in GENDER_MIX.items():
        for s, ps in SENTENCE_MIX.items():
            strata[(g, s, "low")] = pg * ps * ROSH_LOW_SHARE
            strata[(g, s, "not low")] = pg * ps * (1 - ROSH_LOW_SHARE)
    cases = []
    for (g, s, r), k in _allocate(spec.n_cases, strata).items():
        for _ in range(k):
            rosh = (
                r
                if r == "low"
                else rng.choice(list(ROSH_NOT_LOW_MIX), p=list(ROSH_NOT_LOW_MIX.values()))
            )
            cases.append({"gender": g, "sentence_type": s, "rosh": str(rosh)})
    order = rng.permutation(len(cases))
    cases = [cases[i] for i in order]
    eth = rng.choice(
        list(ETHNICITY_MIX),
        size=len(cases),
        p=np.array(list(ETHNICITY_MIX.values())) / sum(ETHNICITY_MIX.values()),
    )
    for c, e in zip(cases, eth, strict=True):
        c["ethnicity"] = str(e)
        c["group"] = ONS_DETAILED.get(str(e), NOT_RECORDED)
    return cases


def _kq_share(spec: PduSpec, std, kq, target: Rating | None, rng) -> float:
    if kq.qualified_id in spec.kq_share:
        return spec.kq_share[kq.qualified_id]
    if target is None:
        logit = np.log(0.62 / 0.38) + spec.quality + rng.normal(0, 0.25)
        return float(1 / (1 + np.exp(-logit)))
    return float(np.clip(BAND_TARGET_SHARE[target] + rng.normal(0, 0.02), 0.05, 0.97))


def _draw_standard(
    std, cases, z, shares, scenario: Scenario, rng, minority, applicable
) -> dict[str, np.ndarray]:
    """One draw of a standard's answers: 1 yes, 0 no, -1 n/a, for every case."""
    rho = scenario.latent_correlation
    out = {}
    m = minority[applicable].mean() if applicable.any() else 0.0
    for kq in std.key_questions:
        affected = kq.qualified_id in scenario.affected_key_questions
        rr = 1.0 - scenario.ethnicity_effect if affected else 1.0
        # aim the PDU's overall share at the target despite the effect: p_white * (1 - m(1 - rr)) = share
        p_white = min(shares[kq.id] / (1 - m * (1 - rr)), 0.995)
        mu = stats.norm.ppf(p_white)
        latent = mu + np.sqrt(rho) * z + np.sqrt(1 - rho) * rng.standard_normal(len(cases))
        yes = latent > 0
        if affected and rr != 1.0:
            yes &= ~(minority & (rng.random(len(cases)) > rr))
        ans = np.where(yes, 1, 0)
        ans[~applicable] = -1
        out[kq.id] = ans
    return out


def _rating_of(answers: dict[str, np.ndarray]) -> Rating | None:
    counts = {}
    for kq, a in answers.items():
        y, n = int((a == 1).sum()), int((a == 0).sum())
        if y + n == 0:
            return None
        counts[kq] = (y, n)
    return standard_rating(counts).rating


def simulate_cases(
    scenario: Scenario, *, framework: Framework | None = None, max_tries: int = 20000
) -> list[dict]:
    """Generate the case records (one dict per case, in the case-level file's columns)."""
    fw = framework_or_default(framework)
    rng = np.random.default_rng(scenario.seed)
    records, per_pdu = [], []
    for spec in scenario.pdus:
        cases = _case_characteristics(spec, rng)
        z = rng.standard_normal(len(cases))
        minority = np.array([c["group"] in MINORITY_GROUPS for c in cases])
        not_reviewed = rng.random(len(cases)) < REVIEWING_NOT_APPLICABLE
        answers = {}
        for std in fw.case_sample_standards:
            applicable = np.array(
                [all(c[f] in v for f, v in std.applies_to.items()) for c in cases]
            )
            if std.id == "reviewing":
                applicable &= ~not_reviewed
            target = spec.ratings.get(std.id)
            shares = {kq.id: _kq_share(spec, std, kq, target, rng) for kq in std.key_questions}
            for _ in range(max_tries):
                draw = _draw_standard(std, cases, z, shares, scenario, rng, minority, applicable)
                if target is None or _rating_of(draw) == target:
                    break
            else:
                raise SimulationError(
                    f"{spec.pdu}: could not hit {target.label} for {std.name} in {max_tries} draws"
                )
            answers[std.id] = (draw, applicable, shares, target)
        per_pdu.append((spec, cases, z, minority, answers))
    if scenario.regional_constraint:
        _apply_regional_constraint(scenario, per_pdu, fw, rng, max_tries)
    for spec, cases, _, _, answers in per_pdu:
        prefix = "".join(
            w[0] for w in spec.pdu.replace(",", " ").split() if w.lower() != "and"
        ).upper()
        for i, c in enumerate(cases):
            rec = {
                "case_id": f"{prefix}-{i + 1:03d}",
                "pdu": spec.pdu,
                "gender": c["gender"],
                "sentence_type": c["sentence_type"],
                "rosh": c["rosh"],
                "ethnicity": c["ethnicity"],
            }
            for std in fw.case_sample_standards:
                draw = answers[std.id][0]
                for kq in std.key_questions:
                    rec[kq.qualified_id] = {1: "yes", 0: "no", -1: "n/a"}[int(draw[kq.id][i])]
            records.append(rec)
    return records


def _apply_regional_constraint(scenario, per_pdu, fw, rng, max_tries):
    qid, share, tol = scenario.regional_constraint
    std_id, kq_id = qid.split(".")
    std = fw.standard(std_id)

    def regional_share():
        yes = sum(int((a[std_id][0][kq_id] == 1).sum()) for *_, a in per_pdu)
        n = sum(int((a[std_id][0][kq_id] >= 0).sum()) for *_, a in per_pdu)
        return yes / n

    for _ in range(200):
        if abs(regional_share() - share) <= tol:
            return
        # redraw this standard for one PDU at a time, keeping its band
        spec, cases, z, minority, answers = per_pdu[int(rng.integers(len(per_pdu)))]
        _, applicable, shares, target = answers[std_id]
        for _ in range(max_tries):
            draw = _draw_standard(std, cases, z, shares, scenario, rng, minority, applicable)
            if target is None or _rating_of(draw) == target:
                answers[std_id] = (draw, applicable, shares, target)
                break
    raise SimulationError(
        f"could not bring the regional share of {qid} within {tol:.0%} of {share:.0%}"
    )


def records_csv(records: list[dict], columns: list[str]) -> str:
    """Simulated records as CSV text, in the given column order."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(records)
    return buf.getvalue()


def cases_csv(records: list[dict], framework: Framework | None = None) -> str:
    return records_csv(records, case_columns(framework))


def ratings_csv(scenario: Scenario, records: list[dict], framework: Framework | None = None) -> str:
    """Every rated standard per PDU: published/implied where known, simulated where silent."""
    fw = framework_or_default(framework)
    published = load_published(framework=fw)
    src = {(r.pdu, r.standard): r.source for r in published.itertuples()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["pdu", "standard", "rating", "basis", "source", "note"])
    for spec in scenario.pdus:
        for std in fw.rated_standards:
            rating = spec.ratings.get(std.id)
            if rating is None:  # unconstrained: take what the simulated cases give
                rating = (
                    _recompute(records, spec.pdu, std)
                    if std.case_sample
                    else Rating.REQUIRES_IMPROVEMENT
                )
            basis = spec.bases.get(std.id, "simulated")
            note = SIMULATION_NOTE if basis == "simulated" else ""
            w.writerow(
                [
                    spec.pdu,
                    std.id,
                    rating.label,
                    basis,
                    src.get((spec.pdu, std.id), "hmip.data.simulate")
                    if basis != "simulated"
                    else "hmip.data.simulate",
                    note,
                ]
            )
    return buf.getvalue()


def _recompute(records, pdu, std) -> Rating:
    counts = {}
    for kq in std.key_questions:
        a = [r[kq.qualified_id] for r in records if r["pdu"] == pdu]
        counts[kq.id] = (a.count("yes"), a.count("no"))
    return standard_rating(counts).rating


def write_london_sample(
    out_dir: str | Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    ethnicity_effect: float = DEFAULT_ETHNICITY_EFFECT,
) -> list[Path]:
    """Write the simulated London 2022 case sample and its standard ratings to ``out_dir``."""
    out = Path(out_dir) if out_dir else data_dir()
    out.mkdir(parents=True, exist_ok=True)
    scenario = london_2022_scenario(seed=seed, ethnicity_effect=ethnicity_effect)
    records = simulate_cases(scenario)
    paths = [out / SIMULATED_CASES_FILE, out / SIMULATED_RATINGS_FILE]
    paths[0].write_text(cases_csv(records), encoding="utf-8", newline="")
    paths[1].write_text(ratings_csv(scenario, records), encoding="utf-8", newline="")
    return paths


def write_scenario(scenario: Scenario, out_dir: str | Path, stem: str | None = None) -> list[Path]:
    """Write any scenario (e.g. :func:`national_scenario`) as simulated case and rating files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or f"simulated_{scenario.name.replace('-', '_')}"
    if "simulated" not in stem:
        raise SimulationError("simulated files must have 'simulated' in their name")
    records = simulate_cases(scenario)
    paths = [out / f"{stem}_cases.csv", out / f"{stem}_standard_ratings.csv"]
    paths[0].write_text(cases_csv(records), encoding="utf-8", newline="")
    paths[1].write_text(ratings_csv(scenario, records), encoding="utf-8", newline="")
    return paths

"""The inspection framework, read from a data file.

A framework (``hmip/rules/frameworks/*.toml``) lists the domains, the standards with their display names,
whether and how each is rated, the key questions of every case-sample standard, the banding
thresholds and the overall score bands. Adding HMIP's later PDU model is a matter of adding a second
TOML file; no code changes.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path

from hmip.errors import FrameworkError

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")

RATED_METHODS = ("judgement", "case_sample")
METHODS = (*RATED_METHODS, "not_rated")


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near miss of one of ``choices``, else ''."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


@dataclass(frozen=True)
class KeyQuestion:
    id: str
    text: str
    standard_id: str
    short: str = ""

    @property
    def qualified_id(self) -> str:
        """``standard.key_question``, the column name used in case-level files."""
        return f"{self.standard_id}.{self.id}"


@dataclass(frozen=True)
class Standard:
    id: str
    code: str
    name: str
    domain: int
    method: str
    key_questions: tuple[KeyQuestion, ...] = ()
    applies_to: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def rated(self) -> bool:
        return self.method in RATED_METHODS

    @property
    def case_sample(self) -> bool:
        return self.method == "case_sample"

    def key_question(self, name: str) -> KeyQuestion:
        for kq in self.key_questions:
            if name in (kq.id, kq.text, kq.qualified_id) or name.lower() in (
                kq.id.lower(),
                kq.short.lower(),
            ):
                return kq
        raise FrameworkError(
            f"'{name}' is not a key question of {self.name}{did_you_mean(name, [k.id for k in self.key_questions])}; "
            f"accepted: {', '.join(k.id for k in self.key_questions) or 'none (not a case-sample standard)'}"
        )

    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class ScoreBand:
    rating: str
    low: int
    high: int


@dataclass(frozen=True)
class OverallScale:
    id: str
    max_points: int
    not_rated: frozenset[str]
    bands: tuple[ScoreBand, ...]


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    description: str
    thresholds: tuple[tuple[str, Fraction], ...]
    band_names: dict[str, str]
    domains: dict[int, str]
    standards: tuple[Standard, ...]
    overall_scales: tuple[OverallScale, ...]
    source: Path | None = None

    # -- look-ups -------------------------------------------------------------------------------
    @property
    def rated_standards(self) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.rated)

    @property
    def case_sample_standards(self) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.case_sample)

    @property
    def judgement_standards(self) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.method == "judgement")

    @property
    def key_questions(self) -> tuple[KeyQuestion, ...]:
        return tuple(kq for s in self.case_sample_standards for kq in s.key_questions)

    def standard(self, name: str) -> Standard:
        """Find a standard by id ('assessment'), code ('2.2') or display name ('Assessment')."""
        key = str(name).strip()
        for s in self.standards:
            if key in (s.id, s.code) or key.lower() in (
                s.name.lower(),
                s.id.lower(),
                s.label().lower(),
            ):
                return s
        raise FrameworkError(
            f"'{name}' is not a standard of {self.name}"
            f"{did_you_mean(key, [s.id for s in self.standards] + [s.name for s in self.standards])}; "
            f"accepted: {', '.join(s.id for s in self.standards)} (or their codes or display names)"
        )

    def key_question(self, standard: str, key_question: str) -> KeyQuestion:
        return self.standard(standard).key_question(key_question)

    def scale_for(self, not_rated: set[str]) -> OverallScale | None:
        for scale in self.overall_scales:
            if set(scale.not_rated) == set(not_rated):
                return scale
        return None


def _parse(data: dict, source: Path | None) -> Framework:
    try:
        standards = []
        for s in data["standards"]:
            if s["method"] not in METHODS:
                raise FrameworkError(f"standard {s['id']}: method must be one of {METHODS}")
            themes = data.get("key_question_themes", {})
            kqs = tuple(
                KeyQuestion(
                    k["id"], k["text"], s["id"], k.get("short", themes.get(k["id"], k["id"]))
                )
                for k in s.get("key_questions", [])
            )
            if s["method"] == "case_sample" and not kqs:
                raise FrameworkError(
                    f"standard {s['id']} is a case-sample standard without key questions"
                )
            applies = {k: tuple(v) for k, v in s.get("applies_to", {}).items()}
            standards.append(
                Standard(s["id"], s["code"], s["name"], int(s["domain"]), s["method"], kqs, applies)
            )
        thresholds = tuple(
            (t["rating"], Fraction(str(t["at_least"]))) for t in data["banding"]["thresholds"]
        )
        if [t for _, t in thresholds] != sorted(t for _, t in thresholds):
            raise FrameworkError("banding thresholds must increase")
        scales = tuple(
            OverallScale(
                sc["id"],
                int(sc["max_points"]),
                frozenset(sc.get("not_rated", [])),
                tuple(ScoreBand(b["rating"], int(b["from"]), int(b["to"])) for b in sc["bands"]),
            )
            for sc in data["overall_scales"]
        )
        for sc in scales:
            covered = sorted(p for b in sc.bands for p in range(b.low, b.high + 1))
            if covered != list(range(0, sc.max_points + 1)):
                raise FrameworkError(
                    f"overall scale {sc.id}: bands must cover 0-{sc.max_points} exactly once"
                )
        return Framework(
            id=data["id"],
            name=data["name"],
            description=data.get("description", ""),
            thresholds=thresholds,
            band_names=dict(data["banding"].get("band_names", {})),
            domains={int(d["id"]): d["name"] for d in data["domains"]},
            standards=tuple(standards),
            overall_scales=scales,
            source=source,
        )
    except KeyError as exc:
        raise FrameworkError(f"{source or 'framework'}: missing field {exc}") from None


@cache
def available_frameworks() -> dict[str, Path]:
    """Framework id -> file, for every TOML file shipped in hmip/rules/frameworks/."""
    found = {}
    for path in sorted(FRAMEWORK_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            found[tomllib.load(fh)["id"]] = path
    return found


@cache
def load_framework(name_or_path: str | None = None) -> Framework:
    """Load a framework by id (default: the one marked ``default = true``) or from a TOML path."""
    if name_or_path is not None and Path(str(name_or_path)).suffix == ".toml":
        path = Path(name_or_path)
    else:
        frameworks = available_frameworks()
        if name_or_path is None:
            for fid, p in frameworks.items():
                with p.open("rb") as fh:
                    if tomllib.load(fh).get("default"):
                        name_or_path = fid
        if name_or_path not in frameworks:
            raise FrameworkError(
                f"unknown framework '{name_or_path}'{did_you_mean(str(name_or_path), frameworks)}; "
                f"available: {', '.join(frameworks)}"
            )
        path = frameworks[name_or_path]
    with Path(path).open("rb") as fh:
        return _parse(tomllib.load(fh), Path(path))


def default_framework() -> Framework:
    return load_framework(None)


def framework_or_default(framework: Framework | None = None) -> Framework:
    """The framework given, or the default one: the one way every function defaults its framework."""
    return default_framework() if framework is None else framework

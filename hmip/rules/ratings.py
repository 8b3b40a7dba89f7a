"""HMIP's rating rules: key-question banding, the lowest-banding rule, and the overall rating.

Shares from counts are compared exactly (as fractions), so 13/20 is exactly 65% and Good, and
27/42 (64.3%) is Requires improvement. The default compares the unrounded share with the
thresholds; ``rounding="whole_percent"`` rounds to a whole percent (half up) first, which matters
for some sample sizes (20/31 = 64.5% is Requires improvement unrounded, Good when rounded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction
from numbers import Real

from hmip.errors import RatingError
from hmip.rules.framework import Framework, FrameworkError, framework_or_default

ROUNDING_OPTIONS = ("none", "whole_percent")


class Rating(IntEnum):
    """An HMIP rating, ordered Inadequate < Requires improvement < Good < Outstanding.

    The integer value is the rating's score (0-3) in the overall rating.
    """

    INADEQUATE = 0
    REQUIRES_IMPROVEMENT = 1
    GOOD = 2
    OUTSTANDING = 3

    @property
    def score(self) -> int:
        return int(self.value)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def code(self) -> str:
        """Short letter code, printed on every coloured cell so colour is never the only cue."""
        return _CODES[self]

    def __str__(self) -> str:
        return self.label

    def __bool__(self) -> bool:
        # An IntEnum with value 0 would be falsy: `if rating:` must never treat Inadequate as missing.
        return True

    @classmethod
    def parse(cls, value: object) -> Rating:
        """Parse the usual spellings: 'Requires improvement', 'requires improvement', 'RI', 'G', 2."""
        if isinstance(value, Rating):
            return value
        if isinstance(value, Real) and not isinstance(value, bool) and float(value).is_integer():
            if 0 <= int(value) <= 3:
                return cls(int(value))
        if isinstance(value, str):
            key = " ".join(value.replace("_", " ").replace("-", " ").split()).lower()
            if key in _SPELLINGS:
                return _SPELLINGS[key]
        accepted = "; ".join(f"{r.label} ({r.code}, {r.score})" for r in cls)
        raise RatingError(f"'{value}' is not a rating; accepted: {accepted}, in any letter case")

    @classmethod
    def labels(cls) -> list[str]:
        return [r.label for r in cls]


_LABELS = {
    Rating.INADEQUATE: "Inadequate",
    Rating.REQUIRES_IMPROVEMENT: "Requires improvement",
    Rating.GOOD: "Good",
    Rating.OUTSTANDING: "Outstanding",
}
_CODES = {
    Rating.INADEQUATE: "I",
    Rating.REQUIRES_IMPROVEMENT: "RI",
    Rating.GOOD: "G",
    Rating.OUTSTANDING: "O",
}
_SPELLINGS = {}
for _r in Rating:
    _SPELLINGS[_LABELS[_r].lower()] = _r
    _SPELLINGS[_CODES[_r].lower()] = _r
    _SPELLINGS[_r.name.lower().replace("_", " ")] = _r
_SPELLINGS.update(
    {
        "req improvement": Rating.REQUIRES_IMPROVEMENT,
        "requires improvements": Rating.REQUIRES_IMPROVEMENT,
    }
)


# ---------------------------------------------------------------------------------------------
# Banding one key question
# ---------------------------------------------------------------------------------------------
def _check_rounding(rounding: object) -> None:
    if not isinstance(rounding, str) or rounding not in ROUNDING_OPTIONS:
        raise RatingError(
            f"rounding '{rounding}' is not known; accepted: {', '.join(ROUNDING_OPTIONS)}"
        )


def check_framework(framework: object, *, error: type[Exception] = RatingError) -> Framework:
    """The framework given, or the default one; ``error`` (a RatingError unless the caller names its
    own, e.g. the sampling functions' SamplingError) for anything else. The one framework check."""
    if framework is None:
        return framework_or_default()
    if not isinstance(framework, Framework):
        raise error(
            f"framework {framework!r} is not accepted; give None (the default framework) or a "
            "Framework from hmip.rules.framework.load_framework"
        )
    return framework


def _framework(framework: object) -> Framework:
    """The framework given, or the default one; a RatingError for anything else."""
    return check_framework(framework)


def _check_whole(name: str, value: object, minimum: int) -> int:
    """A whole number >= ``minimum`` (42 or 42.0; not 42.5, NaN, text or True)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(float(value))
        or not float(value).is_integer()
        or value < minimum
    ):
        raise RatingError(f"{name} = {value!r} is not accepted; give a whole number >= {minimum}")
    return int(value)


def _as_share(share: object) -> Fraction | float:
    if isinstance(share, Fraction):
        value = share
    elif isinstance(share, Real) and not isinstance(share, bool):
        value = float(share)
        if math.isnan(value):
            raise RatingError("a share is NaN; a share must be a number from 0 to 1")
    else:
        raise RatingError(f"share {share!r} is not a number; a share must be a number from 0 to 1")
    if not 0 <= value <= 1:
        raise RatingError(
            f"share {share} is outside [0, 1]; give a proportion such as 0.65, not a percentage"
        )
    return value


def round_whole_percent(share: Fraction | float) -> Fraction:
    """Round a share (a proportion in [0, 1]) to a whole percent, halves up (64.5% -> 65%)."""
    share = _as_share(share)
    value = share if isinstance(share, Fraction) else Fraction(str(float(share)))
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def band(
    share: Fraction | float, *, rounding: str = "none", framework: Framework | None = None
) -> Rating:
    """The rating band of one key question's share of cases judged sufficient.

    ``share`` is a proportion in [0, 1]; pass ``Fraction(yes, yes + no)`` (or use
    :func:`band_counts`) to compare counts exactly.
    """
    _check_rounding(rounding)
    fw = _framework(framework)
    value = _as_share(share)
    if rounding == "whole_percent":
        value = round_whole_percent(value)
    result = Rating.INADEQUATE
    for rating_label, threshold in fw.thresholds:
        if value >= threshold:
            result = Rating.parse(rating_label)
    return result


def _check_counts(yes: object, no: object, where: str = "") -> tuple[int, int]:
    out = []
    for name, value in (("yes", yes), ("no", no)):
        if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
            raise RatingError(
                f"{where}{name} count {value!r} is not a whole number; counts are whole numbers >= 0"
            )
        if value < 0:
            raise RatingError(
                f"{where}{name} count {value} is negative; counts are whole numbers >= 0"
            )
        out.append(int(value))
    if out[0] + out[1] == 0:
        raise RatingError(
            f"{where}has no cases (yes + no = 0); a key question needs at least one case"
        )
    return out[0], out[1]


def band_counts(
    yes: int, no: int, *, rounding: str = "none", framework: Framework | None = None
) -> Rating:
    """The band of ``yes`` sufficient cases out of ``yes + no``, compared exactly."""
    yes, no = _check_counts(yes, no)
    return band(Fraction(yes, yes + no), rounding=rounding, framework=framework)


def threshold_for(rating: Rating | str | int, framework: Framework | None = None) -> Fraction:
    """The lowest share that reaches ``rating`` (0 for the lowest rating)."""
    rating = Rating.parse(rating)
    fw = _framework(framework)
    for label, threshold in fw.thresholds:
        if Rating.parse(label) == rating:
            return threshold
    return Fraction(0)


def min_yes_for(
    rating: Rating | str | int,
    n: int,
    *,
    rounding: str = "none",
    framework: Framework | None = None,
) -> int:
    """The fewest sufficient cases out of ``n`` (n >= 1) that reach ``rating`` (exact integer
    arithmetic); n + 1 if no count does."""
    _check_rounding(rounding)
    rating = Rating.parse(rating)
    n = _check_whole("n", n, minimum=1)
    t = threshold_for(rating, framework)
    if t == 0:
        return 0
    if rounding == "none":  # k / n >= t  <=>  k >= ceil(t n)
        return -((-t.numerator * n) // t.denominator)
    m = (
        t * 100
    )  # whole-percent rounding, halves up: floor(100 k / n + 1/2) >= m  <=>  k >= n (2m - 1) / 200
    if m.denominator == 1:
        return -((-n * (2 * m.numerator - 1)) // 200)
    for k in range(n + 1):  # a threshold that is not a whole percent: search
        if band(Fraction(k, n), rounding=rounding, framework=framework) >= rating:
            return k
    return n + 1


def count_thresholds(
    n: int, *, rounding: str = "none", framework: Framework | None = None
) -> dict[Rating, range]:
    """For ``n`` cases (n >= 1), the range of sufficient counts in each band (e.g. n=42: RI is 21-27)."""
    n = _check_whole("n", n, minimum=1)
    _check_rounding(rounding)
    fw = _framework(framework)
    key = (n, rounding, fw.id, str(fw.source))
    if key not in _THRESHOLD_CACHE:
        edges = [
            min(max(min_yes_for(r, n, rounding=rounding, framework=fw), 0), n + 1) for r in Rating
        ] + [n + 1]
        _THRESHOLD_CACHE[key] = tuple(
            (r, range(edges[i], max(edges[i], edges[i + 1]))) for i, r in enumerate(Rating)
        )
    return dict(_THRESHOLD_CACHE[key])


_THRESHOLD_CACHE: dict[tuple, tuple] = {}


# ---------------------------------------------------------------------------------------------
# The lowest-banding rule for a standard
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyQuestionResult:
    key_question: str
    share: float
    rating: Rating
    yes: int | None = None
    no: int | None = None

    @property
    def n(self) -> int | None:
        return None if self.yes is None else self.yes + self.no


@dataclass(frozen=True)
class StandardResult:
    """A standard's rating under the lowest-banding rule, with the limiting key question."""

    standard: str
    rating: Rating
    limiting: str
    key_questions: tuple[KeyQuestionResult, ...]
    rounding: str = "none"

    @property
    def limiting_result(self) -> KeyQuestionResult:
        return next(k for k in self.key_questions if k.key_question == self.limiting)


def standard_rating(
    key_questions: Mapping[str, float | Fraction | tuple[int, int]],
    *,
    standard: str = "standard",
    rounding: str = "none",
    framework: Framework | None = None,
) -> StandardResult:
    """Rate a standard by the lowest-banding rule.

    ``key_questions`` maps each key question to its share (0-1) or to ``(yes, no)`` counts. The
    standard takes the band of its lowest key question; the limiting question is the one with the
    lowest band (lowest share on a tie).
    """
    _check_rounding(rounding)
    fw = _framework(framework)
    if not isinstance(key_questions, Mapping) or not key_questions:
        raise RatingError(
            f"{standard}: give at least one key question, as a mapping to a share or (yes, no)"
        )
    results = []
    for name, value in key_questions.items():
        where = f"{standard}, key question '{name}': "
        if isinstance(value, tuple | list):
            if len(value) != 2:
                raise RatingError(f"{where}give (yes, no) counts, got {value!r}")
            yes, no = _check_counts(*value, where=where)
            share = Fraction(yes, yes + no)
            results.append(
                KeyQuestionResult(
                    str(name),
                    float(share),
                    band(share, rounding=rounding, framework=fw),
                    yes,
                    no,
                )
            )
        else:
            try:
                share = _as_share(value)
            except RatingError as exc:
                raise RatingError(f"{where}{exc}") from None
            results.append(
                KeyQuestionResult(
                    str(name), float(share), band(share, rounding=rounding, framework=fw)
                )
            )
    limiting = min(results, key=lambda k: (k.rating, k.share))
    return StandardResult(
        standard, limiting.rating, limiting.key_question, tuple(results), rounding
    )


# ---------------------------------------------------------------------------------------------
# The overall rating
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OverallResult:
    rating: Rating
    points: int
    max_points: int
    scale: str
    standard_points: dict[str, int | None]
    band_low: int
    band_high: int

    def points_to_next_band(self) -> int | None:
        return None if self.rating == Rating.OUTSTANDING else self.band_high + 1 - self.points

    def points_to_lower_band(self) -> int | None:
        return None if self.rating == Rating.INADEQUATE else self.points - self.band_low + 1


def _resolve_ratings(
    ratings: Mapping, framework: Framework
) -> tuple[dict[str, Rating | None], object]:
    if not isinstance(ratings, Mapping):
        raise RatingError("give a mapping of standard -> rating (or None where not rated)")
    resolved: dict[str, Rating | None] = {}
    for name, value in ratings.items():
        try:
            std = framework.standard(name)
        except FrameworkError as exc:
            raise RatingError(str(exc)) from None
        if std.id in resolved:
            raise RatingError(f"standard {std.label()} is given twice")
        if value is None:
            resolved[std.id] = None
            continue
        rating = Rating.parse(value)
        if not std.rated:
            raise RatingError(
                f"{std.label()} is not rated in {framework.name}; give None or leave it out"
            )
        resolved[std.id] = rating
    missing = [s.label() for s in framework.rated_standards if s.id not in resolved]
    if missing:
        raise RatingError(
            f"no rating given for {', '.join(missing)}; every rated standard needs a rating "
            "(or None where it was not rated, which only court work may be)"
        )
    not_rated = {sid for sid, r in resolved.items() if r is None and framework.standard(sid).rated}
    scale = framework.scale_for(not_rated)
    if scale is None:
        names = ", ".join(framework.standard(s).label() for s in sorted(not_rated))
        allowed = "; ".join(
            "none"
            if not sc.not_rated
            else ", ".join(framework.standard(s).label() for s in sorted(sc.not_rated))
            for sc in framework.overall_scales
        )
        raise RatingError(
            f"no overall scale is defined with {names} not rated; the standards that may be unrated are: {allowed}"
        )
    return resolved, scale


def overall_score(
    ratings: Mapping[str, Rating | str | int | None], *, framework: Framework | None = None
) -> int:
    """Total points: Inadequate 0, Requires improvement 1, Good 2, Outstanding 3 per rated standard."""
    fw = _framework(framework)
    resolved, _ = _resolve_ratings(ratings, fw)
    return sum(r.score for r in resolved.values() if r is not None)


def overall_rating(
    ratings: Mapping[str, Rating | str | int | None], *, framework: Framework | None = None
) -> OverallResult:
    """The overall rating from the nine standard ratings (0-27), or eight with court work unrated (0-24)."""
    fw = _framework(framework)
    resolved, scale = _resolve_ratings(ratings, fw)
    points = sum(r.score for r in resolved.values() if r is not None)
    for b in scale.bands:
        if b.low <= points <= b.high:
            return OverallResult(
                rating=Rating.parse(b.rating),
                points=points,
                max_points=scale.max_points,
                scale=scale.id,
                standard_points={
                    s.id: (None if resolved.get(s.id) is None else resolved[s.id].score)
                    for s in fw.rated_standards
                },
                band_low=b.low,
                band_high=b.high,
            )
    raise RatingError(
        f"{points} points is outside the 0-{scale.max_points} scale"
    )  # pragma: no cover


def overall_band(
    points: int, max_points: int = 27, *, framework: Framework | None = None
) -> Rating:
    """The overall rating for a points total on the scale with ``max_points``."""
    points = _check_whole("points", points, minimum=0)
    max_points = _check_whole("max_points", max_points, minimum=1)
    fw = _framework(framework)
    for scale in fw.overall_scales:
        if scale.max_points == max_points:
            for b in scale.bands:
                if b.low <= points <= b.high:
                    return Rating.parse(b.rating)
            raise RatingError(f"{points} points is outside the 0-{max_points} scale")
    raise RatingError(
        f"no overall scale out of {max_points}; scales: {[s.max_points for s in fw.overall_scales]}"
    )


# ---------------------------------------------------------------------------------------------
# Explanations in plain English
# ---------------------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _kq_name(name: str, framework: Framework, standard: str) -> str:
    """The key question's short theme ('keeping other people safe'), or its name if unknown."""
    try:
        return framework.key_question(standard, name).short
    except FrameworkError:
        return name


def explain(result: StandardResult | OverallResult, *, framework: Framework | None = None) -> str:
    """A plain-English account of why a standard (StandardResult) or PDU (OverallResult) got its rating."""
    fw = _framework(framework)
    if isinstance(result, StandardResult):
        return _explain_standard(result, fw)
    if isinstance(result, OverallResult):
        return _explain_overall(result, fw)
    raise RatingError(
        f"explain() takes a StandardResult (from standard_rating) or an OverallResult (from "
        f"overall_rating), not {type(result).__name__}"
    )


def _explain_standard(result: StandardResult, fw: Framework) -> str:
    try:
        std_name = fw.standard(result.standard).name
    except FrameworkError:
        std_name = result.standard
    lim = result.limiting_result
    lim_name = _kq_name(lim.key_question, fw, result.standard)
    counts = (
        f"{lim.yes} of {lim.n} cases ({_pct(lim.share)})"
        if lim.yes is not None
        else _pct(lim.share)
    )
    parts = [
        f"{std_name} is rated {result.rating.label} ({result.rating.code}): under the lowest-banding rule a "
        f"standard takes the band of its lowest key question, here '{lim_name}', sufficient in {counts}."
    ]
    others = [k for k in result.key_questions if k.key_question != lim.key_question]
    if others:
        parts.append(
            "The other key questions: "
            + "; ".join(
                f"'{_kq_name(k.key_question, fw, result.standard)}' {k.yes}/{k.n} ({_pct(k.share)}, {k.rating.label})"
                if k.yes is not None
                else f"'{_kq_name(k.key_question, fw, result.standard)}' {_pct(k.share)} ({k.rating.label})"
                for k in others
            )
            + "."
        )
    if result.rating < Rating.OUTSTANDING:
        target = Rating(result.rating + 1)
        below = [k for k in result.key_questions if k.rating < target]
        if all(k.yes is not None for k in below):
            needs = []
            for k in below:
                extra = min_yes_for(target, k.n, rounding=result.rounding, framework=fw) - k.yes
                needs.append(
                    f"{extra} more on '{_kq_name(k.key_question, fw, result.standard)}' ({k.yes + extra}/{k.n})"
                )
            total = sum(
                min_yes_for(target, k.n, rounding=result.rounding, framework=fw) - k.yes
                for k in below
            )
            parts.append(
                f"To reach {target.label}, {total} more case{'s' if total != 1 else ''} would need to be "
                f"judged sufficient with the same sample: {'; '.join(needs)}."
            )
        else:
            gap = threshold_for(target, fw)
            parts.append(
                f"To reach {target.label}, every key question needs at least {_pct(float(gap))}."
            )
    return " ".join(parts)


def _explain_overall(result: OverallResult, fw: Framework) -> str:
    pts = "; ".join(
        f"{fw.standard(sid).name} {'not rated' if p is None else f'{Rating(p).code} {p}'}"
        for sid, p in result.standard_points.items()
    )
    text = (
        f"Overall {result.rating.label} ({result.rating.code}): {result.points} of {result.max_points} points, "
        f"in the {result.band_low}-{result.band_high} band. Points by standard: {pts}."
    )
    up = result.points_to_next_band()
    down = result.points_to_lower_band()
    if up is not None:
        text += f" {up} more point{'s' if up != 1 else ''} would reach {Rating(result.rating + 1).label}."
    if down is not None:
        text += f" {down} point{'s' if down != 1 else ''} fewer would drop to {Rating(result.rating - 1).label}."
    return text

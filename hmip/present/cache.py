"""Charts drawn once per build (issue 25): a chart that is the same for every report of a build (the
sample-size report's accuracy curves: 0.4-0.7 s a report, identical for every PDU) is drawn and
encoded once, in the build's warm process, and every report forked from it shows the stored PNG
(``display.show_chart``).

The memo is :mod:`hmip.analyses.cache`'s: a chart's key is the drawing function, the content of its
arguments, the chart style (afcharts' style and this project's sizes), the font Matplotlib resolves
for it, and the source of :mod:`hmip.present` (charts, badges, display) and of the vocabulary it uses,
with the library versions. A report run alone (``hmip run``) draws the chart itself: the bytes are the
same (tests/test_cache.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from hmip.analyses import cache

#: what a drawn chart's bytes depend on, besides its arguments and the style
CHART_CODE = ("hmip.present", "hmip.analyses.words", "hmip.rules")


@functools.cache
def style_token() -> str:
    """The chart style and the fonts it resolves to, once per process."""
    from matplotlib import font_manager, rcParams

    from hmip.present.charts import STYLE, chart_style

    with chart_style():
        fonts = [
            font_manager.findfont(font_manager.FontProperties(family=family, weight=weight))
            for family in rcParams["font.family"]
            for weight in ("normal", "bold")
        ]
        rc = sorted((k, repr(v)) for k, v in rcParams.items())
    digest = hashlib.sha256(repr((STYLE, rc)).encode())
    for f in dict.fromkeys(fonts):
        digest.update(f.encode() + cache.File(f).token().encode())
    return digest.hexdigest()


def drawn_chart(draw: Callable, *args, **kwargs) -> tuple[bytes, str, str, tuple[float, float]]:
    """``draw(*args, **kwargs)`` as shown in a report: (PNG bytes (:func:`hmip.present.charts.figure_png`),
    alt text, caption, size in inches). Drawn once for the same arguments, style and code, then taken
    from the memo."""
    from hmip.present.charts import figure_png

    def compute() -> tuple[bytes, str, str, tuple[float, float]]:
        fig = draw(*args, **kwargs)
        return (
            figure_png(fig),
            getattr(fig, "hmip_alt", ""),
            getattr(fig, "hmip_caption", ""),
            tuple(float(v) for v in fig.get_size_inches()),
        )

    if not cache.enabled():
        return compute()
    name = f"chart:{draw.__module__}.{draw.__qualname__}"
    try:
        k = cache.key(name, args, sorted(kwargs.items()), style_token(), code=CHART_CODE)
    except TypeError:
        return compute()
    return cache.get_or_compute(k, compute)


# --- the build's warm process ---------------------------------------------------------------------------
SAMPLE_SIZE_NOTEBOOK = "sample_size_sensitivity.ipynb"
#: distinct parameter sets warmed at most (each costs about a report's shared work, once)
MAX_WARM = 6
#: sample-size reports sharing parameters from which one PDU's own charts are drawn in the warm
#: process (:func:`warm_glyphs`): drawing them costs ~0.6 s there, before any report starts, and saves
#: each report ~0.06 s of its 2 cores' time, so it pays from about 20 reports (a national build)
MIN_GLYPH_WARM = 20
#: the sample-size parameters the shared work depends on (not the PDU)
SHARED_PARAMETERS = (
    "n",
    "caseload",
    "accuracy_target",
    "cases_path",
    "counts_path",
    "ratings_path",
    "confidence",
)


def warm(jobs: Iterable[Mapping]) -> int:
    """Fill the memo with the work the catalogue's reports share, before the warm process forks: HMIP's
    findings, read and checked (every report and pack shows them), when there are two jobs or more;
    then, for each set of shared parameters that two sample-size reports or more have (the most
    shared first, up to :data:`MAX_WARM`), one report's data files, sample-size table and accuracy-curve chart, exactly
    as the notebook asks for them (work one report alone needs is left to it: warming runs before any
    report starts). Returns the number of parameter sets warmed. A failure here is ignored (the report
    computes it, and reports its own error)."""
    jobs = list(jobs)
    if len(jobs) >= 2:  # every report and pack shows HMIP's findings: read and checked once
        with contextlib.suppress(Exception):
            cache.findings()
    seen: dict[tuple, dict] = {}
    count: dict[tuple, int] = {}
    for job in jobs:
        if job.get("pack") or Path(str(job.get("notebook", ""))).name != SAMPLE_SIZE_NOTEBOOK:
            continue
        params = dict(job.get("parameters") or {})
        shared = tuple((k, repr(params.get(k))) for k in SHARED_PARAMETERS)
        seen.setdefault(shared, params)
        count[shared] = count.get(shared, 0) + 1
    warmed = 0
    chosen = sorted((k for k in seen if count[k] >= 2), key=lambda k: -count[k])[:MAX_WARM]
    for k in chosen:
        params = seen[k]
        with contextlib.suppress(Exception):
            warm_sample_size(params, count[k])
            warmed += 1
    return warmed


def warm_sample_size(parameters: Mapping, reports: int = 0) -> None:
    """One sample-size report's shared work: its data files, its sample-size table and its
    accuracy-curve chart (the notebook's call: :func:`accuracy_chart`); for ``reports`` of
    :data:`MIN_GLYPH_WARM` or more, one PDU's own charts too (:func:`warm_glyphs`)."""
    from hmip.analyses import sample_size as ss

    defaults = {
        k: p.default
        for k, p in inspect.signature(ss.load_inputs).parameters.items()
        if p.default is not inspect.Parameter.empty and k != "framework"
    }
    params = {**defaults, **{k: v for k, v in parameters.items() if k in defaults}}
    result = ss.prepare(**params)
    accuracy_chart(result, params["n"], params["accuracy_target"])
    if reports >= MIN_GLYPH_WARM:
        warm_glyphs(result, params["n"])


def warm_glyphs(result, n: int) -> None:
    """Draw one PDU's own sample-size charts and throw them away: the glyphs every PDU's charts share
    (tick labels, standard names, rating words, axis titles) are then rasterised once in the warm
    process and kept for every report forked from it (:mod:`hmip.present.charts.glyphs`; the pixels
    are the same either way). Titles follow the notebook's; a different title only costs its glyphs."""
    from hmip.analyses import sample_size as ss
    from hmip.present import charts

    pdu = result.inputs.pdu
    figures = [
        charts.probability_bars(
            ss.standard_chances(result),
            title=f"{pdu}: chance of each rating with a fresh sample of {n}",
            xlabel="Chance of each rating with a fresh sample (%)",
            simulated=result.simulated,
        ),
        charts.shares_with_bands(
            result.key_questions.set_index("label"),
            title=f"{pdu}: key-question shares against the band thresholds",
            simulated=result.simulated,
        ),
    ]
    points = result.distributions.get("points")
    if points is not None:
        figures.append(
            charts.points_distribution(
                points, pdu=pdu, observed=result.observed_points, simulated=result.simulated
            )
        )
    for fig in figures:
        charts.figure_png(fig)


def accuracy_chart(result, n: int, accuracy_target: float) -> tuple:
    """The sample-size report's accuracy-curve chart (the same for every PDU of a build), called as
    the notebook calls it (``display.show_chart(charts.accuracy_curves, ...)``)."""
    from hmip.present import charts

    return drawn_chart(
        charts.accuracy_curves,
        result.accuracy,
        mark_n=n,
        target_lines=sorted({accuracy_target, 0.9}),
    )

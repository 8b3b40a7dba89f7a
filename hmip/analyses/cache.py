"""Shared work computed once: a small content-addressed memo (issue 25).

A national build runs about 110 sample-size reports that load the same data files, build the same
sample-size table and draw the same accuracy-curve chart; only each PDU's own figures differ. This
memo keeps such results in memory, keyed on everything they are computed from:

- the arguments, by content (a DataFrame by its values, index, columns and dtypes; a framework by
  its parsed content and its file's SHA-256; a data file, named with :class:`File`, by its path and
  its SHA-256);
- the code version: the SHA-256 of the source of every module the result depends on (whole packages
  such as ``hmip.data``), with the versions of the libraries that draw or compute it.

So a changed input, framework file, data file or source file gives a different key, and the memo
never serves a stale result: it only saves recomputing one that is identical. Values are copied on
the way in and out (:func:`copy.deepcopy`), so a caller that modifies what it got cannot change what
the next caller gets.

A build's warm process fills the memo before it forks its workers (:func:`hmip.present.cache.warm`,
called from :mod:`hmip.build.execute`), so every report process inherits it; a report run alone
(``hmip run``) computes everything itself and gives the same bytes. ``HMIP_NO_CACHE=1`` turns the memo
off (every call computes).

Work that two of a build's processes both need, but that no single warm-up can know in advance, is
also shared on disk (``shared=True``): the scrutiny pack's worker and the reports run in different
processes, and the pack's page for a PDU simulates the same rating distributions as that PDU's
sample-size report, and summarises the same audit comparison as the audit-progress report. The
builder makes a private folder for its run (``HMIP_SHARED_MEMO``, removed when the run ends); whichever
process computes such a result first writes it there (to a temporary name, then renamed, so a reader
never sees half an entry), and the others read it by the same content key. An entry that cannot be
read is computed again. Without the folder (``hmip run``, a notebook, a test) nothing is written.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import importlib
import os
import pickle
import threading
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hmip.data.provenance import provenance
from hmip.paths import SHARED_MEMO_ENV

#: Entries kept at most (oldest dropped first): a build needs a handful per distinct parameter set.
MAX_ENTRIES = 256

_STORE: dict[str, Any] = {}
_LOCK = threading.Lock()
_CODE: dict[str, str] = {}
_FILES: dict[tuple, str] = {}
STATS = {"hits": 0, "misses": 0, "shared_hits": 0, "shared_writes": 0}
_ABSENT = object()


def enabled() -> bool:
    return os.environ.get("HMIP_NO_CACHE", "") in ("", "0")


@dataclasses.dataclass(frozen=True)
class File:
    """A data file argument: keyed by its resolved path and the SHA-256 of its bytes."""

    path: str | Path

    def token(self) -> str:
        p = Path(self.path).resolve()
        try:
            st = p.stat()
        except OSError:
            return f"file:{p}:missing"
        return f"file:{p}:{file_sha256(p, st)}"


def file_sha256(path: Path, st: os.stat_result | None = None) -> str:
    """SHA-256 of a file's bytes. Remembered per (path, inode, size, mtime, ctime) within a process,
    so a file rewritten in place (even within the same mtime tick: its ctime or size moves) is hashed
    again."""
    st = st or path.stat()
    stamp = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    found = _FILES.get(stamp)
    if found is None:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        found = _FILES[stamp] = h.hexdigest()
    return found


def code_version(*modules: str) -> str:
    """SHA-256 over the source files of ``modules`` (a package: every module in it), and the versions
    of the numerical and drawing libraries. Computed once per process per module: the code a process
    runs is the code it imported."""
    h = hashlib.sha256()
    for name in sorted(set(modules)):
        if name not in _CODE:
            _CODE[name] = _module_digest(name)
        h.update(f"{name}={_CODE[name]};".encode())
    h.update(_library_versions().encode())
    return h.hexdigest()


def _module_digest(name: str) -> str:
    mod = importlib.import_module(name)
    files = [Path(mod.__file__)] if getattr(mod, "__file__", None) else []
    if hasattr(mod, "__path__"):  # a package: all its modules
        files = sorted(
            {f for d in mod.__path__ for f in Path(d).rglob("*") if f.suffix in (".py", ".toml")}
        )
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.name).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def _library_versions() -> str:
    import importlib.metadata as md

    out = []
    for dist in ("numpy", "pandas", "scipy", "matplotlib", "afcharts", "pillow"):
        try:
            out.append(f"{dist}={md.version(dist)}")
        except md.PackageNotFoundError:
            out.append(f"{dist}=-")
    return ";".join(out)


def token(value: object) -> str:
    """A canonical text for ``value``'s content, for hashing into a key."""
    if isinstance(value, File):
        return value.token()
    if value is None or isinstance(value, bool | int | float | str | bytes | Fraction):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, pd.DataFrame):
        return _frame_token(value)
    if isinstance(value, pd.Series):
        return _frame_token(value.to_frame("__series__")) + f":{value.name!r}"
    if isinstance(value, np.ndarray):
        return f"nd:{value.dtype}:{value.shape}:{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}"
    if isinstance(value, range):
        return f"range:{value.start}:{value.stop}:{value.step}"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}[" + ",".join(token(v) for v in value) + "]"
    if isinstance(value, set | frozenset):
        return "set[" + ",".join(sorted(token(v) for v in value)) + "]"
    if isinstance(value, dict):
        return "dict{" + ",".join(f"{token(k)}={token(v)}" for k, v in value.items()) + "}"
    if _is_framework(value):
        return _framework_token(value)
    if isinstance(value, np.generic):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, Path):
        return f"path:{value}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return f"{type(value).__qualname__}({token(dataclasses.asdict(value))})"
    raise TypeError(f"cannot key a cache entry on a {type(value).__name__}")


def _frame_token(df: pd.DataFrame) -> str:
    values = pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes()
    dtypes = [
        repr((str(t), list(t.categories), t.ordered))
        if isinstance(t, pd.CategoricalDtype)
        else str(t)
        for t in df.dtypes
    ]
    meta = repr((list(df.columns), dtypes, df.index.names, str(df.index.dtype)))
    meta += token(provenance(df))
    return f"df:{hashlib.sha256(values + meta.encode()).hexdigest()}"


def _is_framework(value: object) -> bool:
    return type(value).__name__ == "Framework" and type(value).__module__ == "hmip.rules.framework"


def _framework_token(fw) -> str:
    """A framework by its parsed content (every field, in order) and its file's bytes."""
    source = getattr(fw, "source", None)
    file = File(source).token() if source else "no-file"
    return f"framework:{hashlib.sha256(repr(fw).encode()).hexdigest()}:{file}"


def key(namespace: str, *parts: object, code: Iterable[str] = ()) -> str:
    """The key of a result: its namespace, the content of ``parts`` and the version of ``code``."""
    h = hashlib.sha256(namespace.encode() + b"\0")
    for p in parts:
        h.update(token(p).encode() + b"\0")
    h.update(code_version(*code).encode())
    return h.hexdigest()


def get_or_compute(k: str, compute: Callable[[], Any], *, shared: bool = False) -> Any:
    """The value stored under ``k``, else ``compute()`` stored; a copy either way. ``shared``: also
    looked up in, and written to, the build's shared folder (see the module's docstring)."""
    if not enabled():
        return compute()
    with _LOCK:
        found = k in _STORE
        value = _STORE.get(k)
    if found:
        STATS["hits"] += 1
        return copy.deepcopy(value)
    value = _read_shared(k) if shared else _ABSENT
    if value is _ABSENT:
        STATS["misses"] += 1
        value = compute()
        if shared:
            _write_shared(k, value)
    else:
        STATS["shared_hits"] += 1
    with _LOCK:
        _STORE[k] = copy.deepcopy(value)
        while len(_STORE) > MAX_ENTRIES:
            _STORE.pop(next(iter(_STORE)))
    return value


def shared_dir() -> Path | None:
    """The build's folder for results shared between its processes, or None (not in a build)."""
    folder = os.environ.get(SHARED_MEMO_ENV, "")
    return Path(folder) if folder and Path(folder).is_dir() else None


def _read_shared(k: str) -> Any:
    folder = shared_dir()
    if folder is None:
        return _ABSENT
    try:
        with open(folder / f"{k}.pickle", "rb") as fh:
            return pickle.load(fh)
    except Exception:  # not there yet; or unreadable (entries are renamed into place whole)
        return _ABSENT


def _write_shared(k: str, value: Any) -> None:
    folder = shared_dir()
    if folder is None:
        return
    tmp = folder / f".{k}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{k}.pickle")
        STATS["shared_writes"] += 1
    except Exception:  # a value that cannot be pickled, a full disk: the others compute it too
        with contextlib.suppress(OSError):
            tmp.unlink()


def memoize(*code: str, shared: bool = False) -> Callable:
    """Decorate a pure function: its results are memoised by the content of its arguments (as
    :func:`token` reads them) and the version of its own module and of ``code`` (module or package
    names it depends on). ``shared``: shared with the build's other processes too."""

    def wrap(fn: Callable) -> Callable:
        modules = (fn.__module__, *code)
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not enabled():
                return fn(*args, **kwargs)
            try:
                k = key(name, args, sorted(kwargs.items()), code=modules)
            except TypeError:  # an argument this memo cannot key on: compute
                return fn(*args, **kwargs)
            return get_or_compute(k, lambda: fn(*args, **kwargs), shared=shared)

        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper

    return wrap


def shared_call(fn: Callable, *args: object, code: Iterable[str] = (), **kwargs: object) -> Any:
    """``fn(*args, **kwargs)`` for a pure ``fn``, memoised on the content of its arguments and the
    source of its module and of ``code``, and shared with the build's other processes
    (``shared=True``). An argument the memo cannot key on: computed."""
    if not enabled():
        return fn(*args, **kwargs)
    try:
        k = key(
            f"{fn.__module__}.{fn.__qualname__}",
            args,
            sorted(kwargs.items()),
            code=(fn.__module__, *code),
        )
    except TypeError:
        return fn(*args, **kwargs)
    return get_or_compute(k, lambda: fn(*args, **kwargs), shared=True)


#: what a simulated or computed rating distribution depends on besides its arguments
SAMPLING_CODE = ("hmip.stats", "hmip.rules")


def correlated_distribution(
    cases: pd.DataFrame,
    standard: str,
    *,
    n_new: int | None = None,
    draws: int,
    seed: int,
    framework,
) -> pd.DataFrame:
    """One PDU's rating distribution for ``standard`` in a fresh sample of ``n_new`` cases (default:
    as many as ``cases`` holds), its key questions' answers drawn together
    (:func:`hmip.stats.sampling_bands.standard_rating_distribution`, correlated, seeded).

    Memoised on what the draws depend on: the answers to the standard's key questions (not the
    table's other columns or its row labels), the fresh sample's size, draws, seed and framework; and
    shared between a build's processes, as the scrutiny pack's page for a PDU and that PDU's
    sample-size report draw the same distributions. ``cases``: that PDU's cases only."""
    from hmip.rules.framework import framework_or_default
    from hmip.stats.sampling_bands import standard_rating_distribution

    fw = framework_or_default(framework)

    def compute() -> pd.DataFrame:
        return standard_rating_distribution(
            cases, standard, correlated=True, n_new=n_new, draws=draws, seed=seed, framework=fw
        )

    if not enabled():
        return compute()
    try:
        cols = [kq.qualified_id for kq in fw.standard(standard).key_questions]
        answers = cases[cols].reset_index(drop=True)
        k = key(
            "correlated_distribution",
            answers,
            standard,
            n_new or len(cases),
            draws,
            seed,
            fw,
            code=SAMPLING_CODE,
        )
    except Exception:  # not a table this can key on (a missing column...): computed, errors and all
        return compute()
    return get_or_compute(k, compute, shared=True)


def clear() -> None:
    """Forget every stored result (tests; a long-lived process that wants the memory back)."""
    with _LOCK:
        _STORE.clear()
    STATS.update(hits=0, misses=0, shared_hits=0, shared_writes=0)


def size() -> int:
    return len(_STORE)


# --- the data files a report loads, each loaded once per build -------------------------------------
#: what a loaded data file depends on besides its bytes and the framework
DATA_CODE = ("hmip.data", "hmip.rules", "hmip.errors", "hmip.paths", "hmip.textsafe")


def _data_call(name: str, files: Iterable[Path], compute: Callable[[], Any], *parts: object):
    return (
        get_or_compute(key(name, [File(f) for f in files], *parts, code=DATA_CODE), compute)
        if enabled()
        else compute()
    )


def published_ratings(framework) -> Any:
    """:func:`hmip.data.loaders.load_published_ratings` (the bundled published ratings), memoised on
    the two files' bytes and the framework."""
    from hmip.data import loaders as d
    from hmip.data.validation import PUBLISHED_OVERALL_FILE
    from hmip.paths import data_dir

    files = [data_dir() / d.PUBLISHED_STANDARDS_FILE, data_dir() / PUBLISHED_OVERALL_FILE]
    return _data_call(
        "published_ratings", files, lambda: d.load_published_ratings(framework=framework), framework
    )


def cases_and_counts(cases_file: str | Path | None, framework) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A case-level file (blank: the bundled simulated sample) and its key-question counts, memoised
    on the file's bytes and the framework."""
    from hmip.data import loaders as d
    from hmip.data.cases import SIMULATED_CASES_FILE
    from hmip.paths import data_dir

    path = Path(cases_file) if cases_file else data_dir() / SIMULATED_CASES_FILE

    def compute():
        cases = d.load_cases(cases_file, framework=framework)
        return cases, d.key_question_counts(cases, framework=framework)

    return _data_call("cases_and_counts", [path], compute, str(cases_file or ""), framework)


def counts_file(path: str | Path, framework) -> pd.DataFrame:
    """An aggregate counts file, memoised on its bytes and the framework."""
    from hmip.data import loaders as d

    return _data_call(
        "counts",
        [Path(path)],
        lambda: d.load_counts(path, framework=framework),
        str(path),
        framework,
    )


def standard_ratings(path: str | Path | None, framework) -> pd.DataFrame:
    """A standard-ratings file (blank: the ratings behind the bundled simulated sample), memoised on
    its bytes and the framework."""
    from hmip.data import loaders as d
    from hmip.paths import data_dir

    file = Path(path) if path else data_dir() / d.SIMULATED_RATINGS_FILE
    if path:
        compute = lambda: d.load_standard_ratings(path, framework=framework)  # noqa: E731
    else:
        compute = lambda: d.load_simulated_ratings(framework=framework)  # noqa: E731
    return _data_call("standard_ratings", [file], compute, str(path or ""), framework)


def findings(path: str | Path | None = None) -> pd.DataFrame:
    """HMIP's published findings (:func:`hmip.data.findings.load_findings`: read and every row checked),
    memoised on the file's bytes and the code that checks it (the frameworks' files among it). Every
    report and the pack show them: a build's warm process loads them once."""
    from hmip.data.findings import FINDINGS_FILE, load_findings
    from hmip.paths import data_dir

    file = Path(path) if path else data_dir() / FINDINGS_FILE
    return _data_call("findings", [file], lambda: load_findings(path), str(path or ""))

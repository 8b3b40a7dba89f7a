"""One way to do each thing, checked over the package's source (issue 19): every function defaults its
framework through ``hmip.rules.framework.framework_or_default``; a table's provenance has one typed
home (``hmip.data.provenance``), and nothing reads or writes ``DataFrame.attrs``."""

import ast
import contextlib
import io
import re
import tokenize
from pathlib import Path

import hmip

PACKAGE = Path(hmip.__file__).parent


def _hits(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [
        f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if rx.search(line)
    ]


def test_the_framework_is_defaulted_one_way():
    old = r"\bor\s+default_framework\(\)|default_framework\(\)\s+if\s+\w+\s+is\s+None"
    assert [h for h in _hits(old) if not h.startswith("hmip/rules/framework.py")] == []


def test_framework_or_default_gives_the_default_or_the_framework_given():
    from hmip.rules.framework import default_framework, framework_or_default

    fw = default_framework()
    assert framework_or_default(None).name == fw.name and framework_or_default(fw) is fw


def _attrs_in_code(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """Where the code (not its docstrings or comments) reads or writes ``attrs``: an attribute
    ``.attrs``, or the name given as a string (``getattr(df, "attrs")``)."""
    toks = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))
    where = f"{path.relative_to(root)}"
    hits = []
    for before, tok in zip(toks, toks[1:], strict=False):
        dotted = before.string == "." and tok.type == tokenize.NAME and tok.string == "attrs"
        if tok.type == tokenize.STRING and not tok.string.startswith(('"""', "'''")):
            with contextlib.suppress(ValueError, SyntaxError):
                dotted = dotted or ast.literal_eval(tok.string) == "attrs"
        if dotted:
            hits.append(f"{where}:{tok.start[0]}: {tok.line.strip()}")
    return hits


def test_nothing_in_the_package_reads_or_writes_dataframe_attrs():
    """Issue 19: no metadata in ``DataFrame.attrs``, the provenance module included (a table's
    provenance is the typed ``ProvenanceFrame.provenance``)."""
    assert [h for path in sorted(PACKAGE.rglob("*.py")) for h in _attrs_in_code(path)] == []


def test_only_the_provenance_module_declares_metadata_on_a_pandas_object():
    hits = _hits(r"\b_metadata\b|__finalize__|\.__class__\s*=")
    assert [h for h in hits if not h.startswith("hmip/data/provenance.py")] == []


def test_the_attrs_check_sees_code_and_not_docstrings(tmp_path):
    src = tmp_path / "m.py"
    src.write_text(
        '"""Nothing rides in ``DataFrame.attrs``."""\n# df.attrs\nx = 1\n', encoding="utf-8"
    )
    assert _attrs_in_code(src, tmp_path) == []
    src.write_text('df.attrs["k"] = 1\ngetattr(df, "attrs")\n', encoding="utf-8")
    assert len(_attrs_in_code(src, tmp_path)) == 2


def test_the_provenance_reaches_the_banner_through_filters_and_counts():
    from hmip.data.cases import key_question_counts, load_cases
    from hmip.data.provenance import Provenance, provenance, sources
    from hmip.present.display import provenance_record

    cases = load_cases()
    prov = provenance(cases)
    assert isinstance(prov, Provenance) and prov.simulated and prov.basis == "simulated"
    lambeth = cases[cases["pdu"] == "Lambeth"]
    counts = key_question_counts(lambeth)
    assert provenance(counts) == prov and sources(counts) == list(prov.sources)
    record = provenance_record(counts)
    (src,) = record["sources"]
    assert record["simulated"] and src["basis"] == "simulated" and len(src["sha256"]) == 64

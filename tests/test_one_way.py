"""One way to do each thing, checked over the package's source (issue 19): every function defaults its
framework through ``hmip.rules.framework.framework_or_default``."""

import re
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


def test_no_module_keeps_metadata_in_dataframe_attrs_but_the_provenance_module():
    hits = [h for h in _hits(r"\.attrs\b") if not h.startswith("hmip/data/provenance.py")]
    assert [h for h in hits if "``" not in h] == []  # docstrings may say so


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

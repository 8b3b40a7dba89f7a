"""hmip.build.lazy defers jsonschema's IRI grammar (rfc3987_syntax builds ~35 parsers at import, ~1.8 s in
every process that imports nbformat) until a schema asks for an IRI: same answers, paid only then."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

DEFER = "from hmip.build.lazy import defer_rfc3987_syntax; defer_rfc3987_syntax()"
CHECK = """
import json, sys
{first}
import nbformat, papermill  # noqa: F401 - what the builder and `hmip run` import
loaded_at_import = "rfc3987_syntax.syntax_helpers" in sys.modules or "lark" in sys.modules
from jsonschema import Draft202012Validator
answers = {{}}
for fmt in ("iri", "iri-reference"):
    v = Draft202012Validator({{"type": "string", "format": fmt}},
                             format_checker=Draft202012Validator.FORMAT_CHECKER)
    answers[fmt] = [v.is_valid(x) for x in ("http://example.org/\\u00e4", "a b", "//x/y", "http://[::1", "")]
print(json.dumps({{"loaded_at_import": loaded_at_import, "answers": answers}}))
"""


def run(first: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHECK.format(first=first)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_iri_grammar_is_built_only_when_a_schema_asks_and_answers_are_unchanged():
    plain = run("")
    deferred = run(DEFER)
    assert plain["loaded_at_import"] is True  # what every notebook tool pays without it
    assert deferred["loaded_at_import"] is False
    assert deferred["answers"] == plain["answers"]
    assert deferred["answers"]["iri"][:2] == [True, False]  # the formats are still checked


def test_any_other_name_comes_from_the_real_module():
    code = (
        f"import sys\n{DEFER}\nimport rfc3987_syntax as r\n"
        "probe = hasattr(r, '__path__')  # the import system's probe loads nothing\n"
        "before = 'lark' in sys.modules\n"
        "terms = r.RFC3987_SYNTAX_TERMS  # a public name: the real module\n"
        "print(probe, before, 'iri' in terms, 'lark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True", "True"]


def test_importing_the_packages_patches_nothing():
    """No module swaps anything in sys.modules at import: the stand-in is an explicit call."""
    code = (
        "import sys\n"
        "import hmip.present.charts, hmip.present.display, hmip.build.catalogue, hmip.build.build, hmip.cli\n"
        "print('rfc3987_syntax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]

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

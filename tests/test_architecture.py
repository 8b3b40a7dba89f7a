"""The package's layers: imports point one way only,
rules <- data <- stats <- analyses <- present <- build <- cli.

The test parses every module's imports (including imports inside functions), so the rule holds for
whoever edits the package next.
"""

import ast
from pathlib import Path

import hmip

PACKAGE = Path(hmip.__file__).parent
#: Lower numbers are lower layers; a module may import its own layer or lower ones only.
LAYERS = {
    "errors": 0,
    "paths": 0,
    "textsafe": 0,
    "rules": 1,
    "data": 2,
    "stats": 3,
    "analyses": 4,
    "present": 5,
    "build": 6,
    "cli": 7,
}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "hmip" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hmip":  # from hmip import data -> hmip.data
                found += [(node.lineno, f"hmip.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def layer_violations(package: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        own = _layer(".".join(rel.parts))
        if own is None:
            continue
        for line, module in _imports(path):
            target = _layer(module)
            if target is not None and target > own:
                problems.append(f"{rel}.py:{line} imports {module} (a higher layer)")
    return problems


def test_every_module_belongs_to_a_layer():
    top = {
        p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if not p.name.startswith("__")
    }
    top -= {"py"}  # nothing else at the top
    assert top <= set(LAYERS), f"modules outside the layers: {sorted(top - set(LAYERS))}"


def test_imports_point_down_the_layers_only():
    assert layer_violations() == []


def test_the_check_catches_an_upward_import(tmp_path):
    bad = tmp_path / "hmip" / "stats"
    bad.mkdir(parents=True)
    (bad / "leaky.py").write_text("def f():\n    from hmip.analyses import london_comparison\n")
    (tmp_path / "hmip" / "rules").mkdir()
    (tmp_path / "hmip" / "rules" / "ok.py").write_text("from hmip.errors import RatingError\n")
    assert layer_violations(tmp_path / "hmip") == [
        "hmip/stats/leaky.py:2 imports hmip.analyses (a higher layer)"
    ]

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


# --- No import cycles -------------------------------------------------------------------------------------
def _module_name(path: Path, package: Path) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.AST, here: str, is_package: bool, modules: set[str]) -> list[str]:
    """The hmip modules an import statement names (``from a import b``: ``a.b`` when it is a module,
    else ``a``). Relative imports are resolved against ``here``."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = here.split(".") if is_package else here.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    else:
        return []
    found = []
    for name in names:
        while name and name not in modules:  # `import hmip.x.y`: the module, not a name in it
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules it imports, anywhere in it (top level, functions, TYPE_CHECKING blocks)."""
    files = {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}
    modules = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        graph[name] = {
            t
            for node in ast.walk(tree)
            for t in _targets(node, name, is_package, modules)
            if t != name
        }
    return graph


def import_cycles(package: Path = PACKAGE) -> list[list[str]]:
    """Every group of modules that import each other, directly or round a circle (Tarjan's strongly
    connected components with more than one module)."""
    graph = import_graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_no_import_cycles_between_hmip_modules():
    assert import_cycles() == []


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    pkg = tmp_path / "hmip"
    (pkg / "build").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "build" / "__init__.py").write_text("")
    (pkg / "build" / "a.py").write_text("from . import b\n")
    (pkg / "build" / "b.py").write_text("def f():\n    import hmip.build.c.x\n")
    (pkg / "build" / "c.py").write_text("from hmip.build.b import f\n")
    graph = import_graph(pkg)
    assert graph["hmip.build.a"] == {"hmip.build.b"}
    assert graph["hmip.build.b"] == {"hmip.build.c"}
    assert import_cycles(pkg) == [["hmip.build.b", "hmip.build.c"]]


def test_the_check_catches_a_planted_cycle(tmp_path):
    pkg = tmp_path / "hmip"
    (pkg / "build").mkdir(parents=True)
    (pkg / "build" / "pack.py").write_text("from hmip.build.workbook import write_data\n")
    (pkg / "build" / "workbook.py").write_text("def f():\n    from hmip.build.pack import slug\n")
    (pkg / "build" / "names.py").write_text("import re\n")
    assert import_cycles(pkg) == [["hmip.build.pack", "hmip.build.workbook"]]

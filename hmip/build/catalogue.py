"""The report catalogue (``reports.toml``): entries, fan-out over PDUs, and parameter checks.

Every parameter is checked against the notebook's parameters cell (papermill's inspection) before
anything runs: unknown names and wrong types are refused with a :class:`CatalogueError`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hmip.analyses.contract import GROUP_ANALYSTS, GROUP_EACH_PDU, GROUP_REGION, INDEX_GROUPS
from hmip.build import names
from hmip.errors import CatalogueError, ParameterError
from hmip.paths import resolve

DEFAULT_CATALOGUE = "reports.toml"
DEFAULT_KEEP = 5
DEFAULT_TIMEOUT = 900
#: where a report is listed on the index: the report contract's one list
#: (:data:`hmip.analyses.contract.INDEX_GROUPS`): under "Each PDU" (one line per PDU, the fan-out
#: value naming the PDU), per region (the scrutiny packs), or in the table of reports for analysts
GROUPS = INDEX_GROUPS


@dataclass
class Job:
    name: str
    title: str
    notebook: str
    parameters: dict = field(default_factory=dict)
    fanned_out: bool = False
    #: a scrutiny pack (built by :func:`hmip.build.pack.build_pack` from ``parameters``), not a notebook
    pack: bool = False
    #: the index's group (:data:`GROUPS`), declared by the catalogue entry
    group: str = GROUP_ANALYSTS
    #: what the report is about within its group: the fan-out value (for "each PDU", the PDU)
    subject: str = ""


@dataclass
class Settings:
    keep: int = DEFAULT_KEEP
    timeout: int = DEFAULT_TIMEOUT
    kernel: str = "hmip"
    #: scrutiny packs built with the reports: (region, paper), from [[pack]] entries
    packs: tuple[tuple[str, str], ...] = ()
    #: the paper the reports' print styles are set for: "A4" (default) or "A3" (larger type)
    paper: str = "A4"


def _fan_out_values(spec: dict, where: str) -> list[str]:
    if "values" in spec:
        return [str(v) for v in spec["values"]]
    if "region" in spec:
        from hmip.data.loaders import load_published_overall

        overall = load_published_overall()
        values = overall.loc[overall["region"] == spec["region"], "pdu"].tolist()
        if not values:
            raise CatalogueError(f"{where}: no PDUs in region '{spec['region']}'")
        return values
    if "from_cases" in spec:
        import csv

        path = resolve(spec["from_cases"])
        if not path.is_file():
            raise CatalogueError(f"{where}: fan_out.from_cases file not found: {path}")
        with path.open(encoding="utf-8") as fh:
            return list(dict.fromkeys(r["pdu"] for r in csv.DictReader(fh)))
    raise CatalogueError(f"{where}: fan_out needs 'values', 'region' or 'from_cases'")


def load_catalogue(path: str | Path) -> tuple[list[Job], Settings]:
    """Read and expand a catalogue file (TOML): [settings] and [[report]] entries."""
    path = Path(path)
    if not path.is_file():
        raise CatalogueError(f"catalogue not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    s = data.get("settings", {})
    unknown = set(s) - {"keep", "timeout", "kernel", "paper"}
    if unknown:
        raise CatalogueError(
            f"{path}: unknown settings {sorted(unknown)}; accepted: keep, timeout, kernel, paper"
        )
    if str(s.get("paper", "A4")) not in ("A4", "A3"):
        raise CatalogueError(f"{path}: paper '{s['paper']}' is not accepted; accepted: A4, A3")
    packs = []
    for i, entry in enumerate(data.get("pack", []), start=1):
        unknown = set(entry) - {"region", "paper"}
        if unknown or "region" not in entry:
            raise CatalogueError(
                f'{path}, pack {i}: give region (and optionally paper = "A4" or "A3"); '
                f"unknown keys: {sorted(unknown)}"
            )
        paper = str(entry.get("paper", "A4"))
        if paper not in ("A4", "A3"):
            raise CatalogueError(
                f"{path}, pack {i}: paper '{paper}' is not accepted; accepted: A4, A3"
            )
        packs.append((str(entry["region"]), paper))
    settings = Settings(
        positive_setting(s.get("keep", DEFAULT_KEEP), f"{path}: [settings] keep"),
        positive_setting(s.get("timeout", DEFAULT_TIMEOUT), f"{path}: [settings] timeout"),
        str(s.get("kernel", "hmip")),
        tuple(packs),
        str(s.get("paper", "A4")),
    )
    jobs: list[Job] = []
    for i, entry in enumerate(data.get("report", []), start=1):
        where = f"{path}, report {i} ({entry.get('name', '?')})"
        unknown = set(entry) - {"name", "title", "notebook", "parameters", "fan_out", "group"}
        if unknown:
            raise CatalogueError(
                f"{where}: unknown keys {sorted(unknown)}; accepted: name, title, notebook, parameters, "
                "fan_out, group"
            )
        group = _group(entry, where)
        for key in ("name", "title", "notebook"):
            if key not in entry:
                raise CatalogueError(f"{where}: '{key}' is required")
        params = dict(entry.get("parameters", {}))
        if "fan_out" in entry:
            spec = entry["fan_out"]
            param = spec.get("parameter")
            if not param:
                raise CatalogueError(
                    f"{where}: fan_out needs 'parameter' (the notebook parameter to vary)"
                )
            for value in _fan_out_values(spec, where):
                fmt = {param: value, f"{param}_slug": names.slug(value)}
                jobs.append(
                    Job(
                        entry["name"].format(**fmt),
                        entry["title"].format(**fmt),
                        entry["notebook"],
                        {**params, param: value},
                        fanned_out=True,
                        group=group,
                        subject=value,
                    )
                )
        else:
            jobs.append(Job(entry["name"], entry["title"], entry["notebook"], params, group=group))
    if not jobs:
        raise CatalogueError(f"{path}: no [[report]] entries")
    for j in jobs:
        check_report_name(j.name, f"{path}: report name")
    job_names = [j.name for j in jobs]
    dupes = sorted({n for n in job_names if job_names.count(n) > 1})
    if dupes:
        raise CatalogueError(f"{path}: report names must be unique; repeated: {dupes}")
    return jobs, settings


def positive_setting(value, what: str) -> int:
    """A whole number of at least 1 (``keep``: runs kept; ``timeout``: seconds a report may take). 0 or
    less would delete every published run, or stop every report at once: refused (exit 2)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CatalogueError(f"{what} must be a whole number of at least 1, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise CatalogueError(
            f"{what} must be a whole number of at least 1, got {value!r}"
        ) from None
    if number < 1:
        raise CatalogueError(f"{what} must be at least 1, got {number}")
    return number


def check_report_name(name: str, what: str = "report name") -> str:
    """A report's name is a simple slug (``names.REPORT_NAME_PATTERN``: lower-case letters, digits and
    single hyphens): it names files in the run's folder and must never reach outside it."""
    if not names.is_report_name(name):
        raise CatalogueError(
            f"{what} {name!r} is not accepted: use lower-case letters, digits and single hyphens "
            f"(e.g. 'sample-size-newham'), at most {names.MAX_NAME} characters"
            + (
                f"; {', '.join(sorted(names.RESERVED))} are reserved"
                if name in names.RESERVED
                else ""
            )
        )
    return name


def _group(entry: dict, where: str) -> str:
    """The entry's index group: as declared (``group = "each PDU"``, ``"region"`` or ``"analysts"``,
    :data:`GROUPS`); by default "each PDU" for an entry fanned out over the PDUs of a region or of a
    case file, else "analysts"."""
    spec = entry.get("fan_out")
    default = (
        GROUP_EACH_PDU if spec and ("region" in spec or "from_cases" in spec) else GROUP_ANALYSTS
    )
    group = str(entry.get("group", default))
    if group not in GROUPS:
        raise CatalogueError(
            f"{where}: group '{group}' is not accepted; accepted: {', '.join(GROUPS)}"
        )
    if group == GROUP_EACH_PDU and not spec:
        raise CatalogueError(
            f"{where}: group '{GROUP_EACH_PDU}' needs fan_out (one report per PDU, named by its value)"
        )
    return group


def pack_jobs(settings: Settings) -> list[Job]:
    """The catalogue's scrutiny packs (PDF, HTML, workbook, CSVs) as jobs: built by the workers alongside
    the reports, into the same run, so a failed pack publishes nothing, like a failed report."""
    return [
        Job(
            name=names.pack_name(region),
            title=f"Scrutiny pack: {region}",
            notebook="",
            parameters={"region": region, "paper": paper},
            pack=True,
            group=GROUP_REGION,
            subject=region,
        )
        for region, paper in settings.packs
    ]


_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def inspect_parameters(notebook: Path) -> dict:
    """The notebook's declared parameters (papermill's inspection); a notebook that cannot be inspected
    (no kernelspec, not a notebook) raises :class:`ParameterError` saying why, in one line."""
    import json

    import papermill as pm

    try:
        meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise ParameterError(f"{notebook} is not a readable notebook: {exc}") from None
    if not (meta.get("kernelspec") or {}).get("name"):
        raise ParameterError(
            f"{notebook} has no kernelspec (metadata.kernelspec.name): open it in Jupyter with the "
            "'hmip' kernel and save it"
        )
    try:
        return pm.inspect_notebook(str(notebook))
    except Exception as exc:  # noqa: BLE001 - any failure to read its parameters is one line
        raise ParameterError(f"{notebook}: its parameters cannot be read: {exc}") from None


def validate_jobs(jobs: list[Job]) -> None:
    """Refuse unknown parameters and wrong types, using papermill's inspection of each notebook."""
    problems = []
    inspected: dict[str, dict | None] = {}
    for job in jobs:
        nb = resolve(job.notebook)
        if not nb.is_file():
            problems.append(f"{job.name}: notebook not found: {job.notebook}")
            continue
        if job.notebook not in inspected:
            try:
                inspected[job.notebook] = inspect_parameters(nb)
            except ParameterError as exc:
                inspected[job.notebook] = None
                problems.append(f"{job.name}: {exc}")
        declared = inspected[job.notebook]
        if declared is None:
            continue
        for key, value in job.parameters.items():
            if key not in declared:
                problems.append(
                    f"{job.name}: unknown parameter '{key}' for {job.notebook}"
                    f"{_did_you_mean(key, declared)}; accepted: {', '.join(declared)}"
                )
                continue
            type_name = (declared[key].get("inferred_type_name") or "").strip()
            allowed = _TYPES.get(type_name)
            if allowed and (
                not isinstance(value, allowed) or (type_name != "bool" and isinstance(value, bool))
            ):
                problems.append(
                    f"{job.name}: parameter '{key}' must be {type_name}, got {type(value).__name__} {value!r}"
                )
    if problems:
        raise CatalogueError(
            "the catalogue was refused before anything ran:\n  " + "\n  ".join(problems)
        )


def notebook_imports(notebooks: list[str]) -> list[str]:
    """The modules the notebooks' code cells import (``from a.b import c`` gives ``a.b`` and ``a.b.c``):
    what a warm worker imports once, before any report runs."""
    import ast
    import json

    found: dict[str, None] = {}
    for nb in dict.fromkeys(notebooks):
        path = resolve(nb)
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell.get("source", ""))
            try:
                tree = ast.parse(
                    "\n".join(
                        ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))
                    )
                )
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        found[a.name] = None
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found[node.module] = None
                    for a in node.names:
                        found[f"{node.module}.{a.name}"] = None
    return list(found)


def job_spec(job: Job, settings: Settings, timeout: int | None = None) -> dict:
    """One job as an external scheduler needs it (``hmip reports build --list --format json``)."""
    args = ["hmip", "run", job.notebook]
    for k, v in job.parameters.items():
        args += ["-p", k, str(v).lower() if isinstance(v, bool) else str(v)]
    args += ["-o", names.report_html(job.name), "--title", job.title]
    return {
        "name": job.name,
        "title": job.title,
        "notebook": job.notebook,
        "parameters": dict(job.parameters),
        "output": names.report_html(job.name),
        "executed_notebook": names.report_notebook(job.name),
        "timeout": int(timeout or settings.timeout),
        "kernel": settings.kernel,
        "command": args,
    }


def _did_you_mean(name: str, choices) -> str:
    import difflib

    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5) or [
        c for c in choices if c in name or name in c
    ]
    return f"; did you mean '{close[0]}'?" if close else ""


def _coerce(name: str, raw: str, type_name: str):
    text = raw.strip()
    if type_name == "int":
        try:
            return int(text)
        except ValueError:
            raise ParameterError(
                f"parameter '{name}' must be a whole number (int), got {raw!r}"
            ) from None
    if type_name == "float":
        try:
            return float(text)
        except ValueError:
            raise ParameterError(
                f"parameter '{name}' must be a number (float), got {raw!r}"
            ) from None
    if type_name == "bool":
        lowered = text.lower()
        if lowered in {"true", "yes", "1", "on"}:
            return True
        if lowered in {"false", "no", "0", "off"}:
            return False
        raise ParameterError(f"parameter '{name}' must be true or false (bool), got {raw!r}")
    return raw


def notebook_parameters(notebook: str | Path, pairs: list[tuple[str, str]]) -> dict:
    """``-p NAME VALUE`` pairs checked against the notebook's parameters cell and converted to the
    declared types. An unknown name or a value of the wrong type raises :class:`ParameterError` naming
    the accepted parameters (and the nearest name)."""
    declared = inspect_parameters(Path(notebook))
    params = {}
    for name, raw in pairs:
        if name not in declared:
            raise ParameterError(
                f"unknown parameter '{name}' for {notebook}{_did_you_mean(name, declared)}\n"
                f"  accepted: {', '.join(declared)}"
            )
        type_name = (declared[name].get("inferred_type_name") or "").strip()
        params[name] = _coerce(name, raw, type_name)
    return params

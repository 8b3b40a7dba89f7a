"""What a build reports: one :class:`JobResult` per report or scrutiny pack, one :class:`RunSummary` per
run (a build, or a publish of reports built elsewhere). Workers send a result to the builder as JSON
(:meth:`JobResult.to_dict`), and the manifest stores the same fields."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

from hmip.build.catalogue import GROUP_ANALYSTS, Job


@dataclass
class JobResult:
    name: str
    title: str
    parameters: dict
    ok: bool = False
    seconds: float = 0.0
    error: str = ""
    html: str = ""
    notebook: str = ""
    cell_seconds: float = 0.0
    render_seconds: float = 0.0
    built_at: str = ""
    #: the exception's class name when it failed (``hmip run`` says an HmipError in one line)
    ename: str = ""
    #: a scrutiny pack (PDF, HTML, workbook), not a notebook
    pack: bool = False
    group: str = GROUP_ANALYSTS
    subject: str = ""
    #: copied from an earlier run by a partial build (``--only``), and which run built it
    carried_over: bool = False
    from_run: str = ""

    @classmethod
    def for_job(cls, job: Job | dict, **fields: object) -> JobResult:
        """A result for ``job`` (a Job, or the dict a worker receives), with ``fields`` set."""
        j = asdict(job) if isinstance(job, Job) else job
        return cls(
            name=j["name"],
            title=j["title"],
            parameters=j["parameters"],
            pack=bool(j.get("pack", False)),
            group=j.get("group", GROUP_ANALYSTS),
            subject=j.get("subject", ""),
            **fields,
        )

    @classmethod
    def from_dict(cls, data: dict) -> JobResult:
        """From JSON (a worker's message, or an earlier run's manifest): unknown keys are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunSummary:
    """A build's or a publish's outcome, beside its exit status."""

    run_id: str = ""
    #: reports built at once (0 when publishing reports built elsewhere)
    jobs: int = 0
    log: str = ""
    status: str = ""  # "published", "failed", "interrupted", "locked", "missing", "listed"
    wall_seconds: float | None = None
    results: list[JobResult] = field(default_factory=list)
    #: the published run's folder, or where a failed or stopped run was kept
    run_dir: str = ""
    failed_dir: str = ""
    gathered_from: str = ""
    #: reports missing from a gathered folder (nothing was published)
    missing: list[str] = field(default_factory=list)
    #: with ``--list``: the jobs as a scheduler needs them
    specs: list[dict] = field(default_factory=list)

    def reports(self) -> list[JobResult]:
        """The notebook reports' results (not the scrutiny packs')."""
        return [r for r in self.results if not r.pack]

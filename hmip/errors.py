"""The project's one error family and its exit statuses.

Every error the project raises on purpose derives from :class:`HmipError` (a ``ValueError``), so a
caller can catch them all at once, and the command line turns any of them into exit status 2 with
its message and no traceback (:func:`hmip.cli.main`).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

#: Exit statuses of the ``hmip`` command, for schedulers. Defined here only.
EXIT_OK = 0
EXIT_FAILED = 1  # a report or check failed; nothing was published
EXIT_BAD_INPUT = 2  # bad catalogue, parameters, data file or usage; nothing ran
EXIT_LOCKED = 3  # another build holds the reports lock
EXIT_DISK = (
    4  # the reports folder could not be written (disk full, read-only); nothing was published
)
EXIT_INTERRUPTED = 130  # stopped by SIGINT or SIGTERM; nothing was published


class HmipError(ValueError):
    """Base of every error the project raises on purpose; the message says what is accepted."""


class FrameworkError(HmipError):
    """A framework file is malformed, or a name cannot be found in the framework."""


class RatingError(HmipError):
    """Input to a rating rule is invalid."""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row (the header is not counted); None for file-level problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class DataValidationError(HmipError):
    """One error listing every problem found in a file, each with file, row and column."""

    MAX_LISTED = 50

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.MAX_LISTED]]
        if len(self.problems) > self.MAX_LISTED:
            lines.append(f"... and {len(self.problems) - self.MAX_LISTED} more problems")
        n = len(self.problems)
        if n == 1:  # one problem: one line (file, row, column and what is accepted)
            super().__init__(lines[0])
            return
        super().__init__(f"{n} problems found:\n  " + "\n  ".join(lines))


class ParameterError(HmipError):
    """A notebook or report parameter is not accepted."""


class StatisticsError(HmipError):
    """A statistical function was given an impossible argument."""


class DisclosureError(HmipError):
    """A disclosure rule or protected count is invalid."""


class SimulationError(HmipError):
    """The simulation could not produce a sample meeting its constraints."""


class CatalogueError(HmipError):
    """The report catalogue or a report's parameters are invalid; nothing has run."""


class KernelError(HmipError):
    """The project's Jupyter kernel is missing or broken."""


#: errno values that mean a folder cannot be written: disk full, quota, file too large, read-only
#: file system, no permission
DISK_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)


#: of those, the ones no reading of an input can cause: the disk is full or read-only
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def is_disk_fault(exc: BaseException) -> bool:
    return isinstance(exc, DiskFault) or (isinstance(exc, OSError) and exc.errno in DISK_ERRNOS)


class DiskFault(OSError):
    """The reports folder could not be written (disk full, read-only, no permission): what the build
    had staged is removed and nothing published changes. The command line gives :data:`EXIT_DISK`."""


def input_error_names() -> set[str]:
    """The names of the project's input errors (HmipError and every subclass defined so far): a
    report that raised one was refused its data or parameters."""
    found, todo = set(), [HmipError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found

"""Library errors. The CLI turns each into a one-line message; users never see a traceback."""
from __future__ import annotations


class LogcheckError(Exception):
    """Base class: something the user can fix (bad input, bad pack, bad option)."""

    exit_code = 2


class InputError(LogcheckError):
    """A path that does not exist or cannot be read."""


class UsageError(LogcheckError):
    """An option value that does not make sense (``--offset x=y``, ``--date 11/08``)."""


class PackError(LogcheckError):
    """A rule pack or format file that does not load; carries every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n" + "\n".join(problems))


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, in its own words ("No such file or directory"), whether Python or
    polars (which words it "... (os error 2): PATH") raised it."""
    return exc.strerror or str(exc).split(" (os error")[0]

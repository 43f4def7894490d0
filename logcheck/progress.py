"""Progress reporting without a UI dependency in the library.

Library stages call ``progress.stage(name, total)`` and ``progress.advance(n)``; the default does
nothing. The CLI passes a tqdm-backed reporter (see ``cli/common.py``) that shows a bar on
stderr for runs over 2 seconds, and stays silent when stderr is not a terminal or with --quiet.
"""
from __future__ import annotations

from typing import Self


class Progress:
    """Silent progress: the interface, and what library callers get by default."""

    def stage(self, name: str, total: int | None = None, unit: str = "lines") -> None:
        """A new stage begins, adding ``total`` units (lines) of work when it has any."""

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the current stage are done (may be called from worker threads)."""

    def close(self) -> None:
        """The run is over."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        # closed when the work is done or fails: a bar left up shares its line with what is printed next
        self.close()


SILENT = Progress()

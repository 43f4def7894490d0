"""logcheck: is this bug really there, and did the fix really work? Answered from logs alone.

The flow is ingest -> align -> correlate -> evaluate -> render; each stage is a module:

>>> import logcheck
>>> events = logcheck.read_events(["sample_logs/incident-2025-11-08"])      # ingest
>>> incident = logcheck.load(["sample_logs/incident-2025-11-08"])           # + align, correlate
>>> result = logcheck.verify(["sample_logs/incident-2025-11-08"])           # + evaluate
>>> result = logcheck.verify_stream(["sample_logs/incident-2025-11-08"])    # the same, within bounded memory
>>> incident.lines(incident.events.head(5))       # text read again from the files, by file:line
"""
from __future__ import annotations

__version__ = "0.1.0"

from .allocators import tune_allocators

tune_allocators()       # before polars loads: both allocators read their settings once, at start

from .api import Incident, load  # noqa: E402
from .ingest import ingest, read_events, with_messages  # noqa: E402


def verify(paths, pack="ws-registry", *, command: str | None = None, tables: bool = True, **options):
    """Ingest, align, correlate and evaluate: a :class:`logcheck.evaluate.Result` with the verdict.

    Options are those of :func:`load` (date, streams, offsets, zones, users, since, until, settings).
    ``tables=False``: the result keeps no ``incident`` (the correlated tables the HTML report
    draws from), and they go before the decisions are judged.
    """
    from .evaluate import evaluate

    return evaluate([load(paths, pack, **options)], command=command, tables=tables)


def verify_stream(paths, pack="ws-registry", **options):
    """:func:`verify` for inputs larger than memory: the same result, worked out a part of the
    users at a time from lines kept on disk (see :mod:`logcheck.stream`); no ``incident``."""
    from .stream import verify_stream as run

    return run(paths, pack, **options)


__all__ = ["__version__", "Incident", "ingest", "load", "read_events", "verify", "verify_stream", "with_messages"]

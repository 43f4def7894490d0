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

import os
import sys

__version__ = "0.1.0"

# polars sets its allocator (jemalloc) to keep freed pages 0.5 s, then to hand them back
# lazily (counted in RSS a second more), and appends what it finds here. A fleet's run frees
# hundreds of MB a second: peak RSS stood 0.2-0.3 GB above what the run holds. A background
# thread giving them back after 50 ms costs no measurable time (10M verify: 0.96-0.98 GB, 1.0
# at 200 ms). jemalloc reads this once, when polars loads: set only then, and never over the
# user's own setting. Linux only: jemalloc has no background thread on macOS (it would refuse
# to start), and polars uses mimalloc on Windows.
ALLOCATOR = "background_thread:true,dirty_decay_ms:50,muzzy_decay_ms:0"
# what polars itself exports: a process started by one that loaded polars inherits it
_POLARS_OWN = "dirty_decay_ms:500,muzzy_decay_ms:1000"
_given = os.environ.get("_RJEM_MALLOC_CONF")
if sys.platform == "linux" and "polars" not in sys.modules and _given in (None, "", _POLARS_OWN):
    os.environ["_RJEM_MALLOC_CONF"] = ALLOCATOR

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

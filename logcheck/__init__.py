"""logcheck: is this bug really there, and did the fix really work? Answered from logs alone.

The flow is ingest -> align -> correlate -> evaluate -> render; each stage is a module:

>>> import logcheck
>>> events = logcheck.read_events(["sample_logs/incident-2025-11-08"])      # ingest
>>> incident = logcheck.load(["sample_logs/incident-2025-11-08"])           # + align, correlate
>>> result = logcheck.verify(["sample_logs/incident-2025-11-08"])           # + evaluate
"""
from __future__ import annotations

__version__ = "0.1.0"

from .ingest import ingest, read_events  # noqa: E402

__all__ = ["__version__", "ingest", "read_events"]

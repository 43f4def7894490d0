"""The memory allocators' settings, made before polars loads: both read them once, at start.

Only where they help and the user has not set them: on Linux, before polars is imported.
"""
from __future__ import annotations

import ctypes
import os
import sys

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
_M_ARENA_MAX = -8


def tune_allocators() -> None:
    """jemalloc's (polars' memory) and glibc's (Python's) settings, where nobody set them first."""
    if sys.platform != "linux" or "polars" in sys.modules:
        return
    if os.environ.get("_RJEM_MALLOC_CONF") in (None, "", _POLARS_OWN):
        os.environ["_RJEM_MALLOC_CONF"] = ALLOCATOR
    if "MALLOC_ARENA_MAX" not in os.environ:
        one_malloc_arena()


def one_malloc_arena() -> bool:
    """Have glibc's malloc keep one arena, not one per thread; whether it could.

    Lines are read again (for the JSON's evidence) in blocks of 30 MB, Python bytes, from
    worker threads. Each thread's arena keeps up to twice its largest block freed for reuse: at
    30M fleet lines, writing the JSON held 0.98 GB, 0.73 GB with one arena (``verify --stream``).
    glibc fixes the limit when a second thread first allocates (polars' threads, as it loads):
    this must come first."""
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError, TypeError):        # not glibc (musl): nothing to set
        return False

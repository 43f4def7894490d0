"""The fast classifier agrees with the plain definition, and literals are truly required."""
from __future__ import annotations

import polars as pl
import pytest

from logcheck.ingest import ingest
from logcheck.ingest.classify import kinds
from logcheck.ingest.literals import required_literal
from logcheck.packs import load_pack

from .conftest import SAMPLES


def reference_kinds(frame: pl.DataFrame, pack, stream: str) -> pl.Series:
    """The definition: try every pattern on every row, in order; the first match wins."""
    expr = pl.lit(None, pl.String)
    for kind, regex, component in reversed(pack.patterns(stream)):
        cond = pl.col("msg").str.contains(regex)
        if component:
            cond = cond & (pl.col("component").str.to_lowercase() == component.lower())
        expr = pl.when(cond.fill_null(False)).then(pl.lit(kind)).otherwise(expr)
    return frame.select(expr.alias("kind"))["kind"]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("stream", ["ios", "backend"])
def test_fast_kinds_equal_the_definition_on_every_sample_line(sample, stream):
    pack = load_pack()
    frame = ingest([str(SAMPLES / sample)]).events.select(msg="message", component="component")
    assert kinds(frame, pack, stream).to_list() == reference_kinds(frame, pack, stream).to_list()


@pytest.mark.parametrize("pattern, literal", [
    ("(?i)ping from user (?P<user>x) - connection refreshed", " - connection refreshed"),
    ("(?i)connecting to wss?://", "connecting to ws"),
    ("(?i)is connected,? (?:- )?sending notification", "sending notification"),
    ("(?i)message type: meal_log\\.completed", "message type: meal_log.completed"),
    ("(?i)polling for updates(?: \\(attempt (?P<attempt>\\d+)\\))?", "polling for updates"),
    ("(?i)(?P<method>GET|POST) (?P<path>/\\S*)", None),
    ("(?i)foo|barbaz", None),
])
def test_required_literal(pattern, literal):
    assert required_literal(pattern) == literal

"""Every shipped sample set matches its expect.yaml."""
from __future__ import annotations

import pytest
import yaml

from logcheck import verify

from .conftest import SAMPLES

SETS = sorted(p.parent.name for p in SAMPLES.glob("*/expect.yaml"))


def test_there_are_sample_sets():
    assert len(SETS) >= 7


@pytest.mark.parametrize("name", SETS)
def test_sample_matches_expectation(name):
    expect = yaml.safe_load((SAMPLES / name / "expect.yaml").read_text())
    result = verify([str(SAMPLES / name)], **expect.get("options", {}))
    assert result.verdict == expect["verdict"], result.reason
    assert {c.id: c.status for c in result.criteria} == expect["criteria"]
    got: dict[str, int] = {}
    for d in result.decisions:
        key = d["cause"] or "sent"
        got[key] = got.get(key, 0) + 1
    assert got == expect["decisions"]

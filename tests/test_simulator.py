"""The simulator's ground truth and verify agree, across seeds, builds and envelopes."""
from __future__ import annotations

import pytest

from logcheck import verify
from logcheck.simulate import Scenario, simulate

CASES = [
    # (seed, bug, ios format, backend format, skew, tz, damaged)
    (1, True, "time-only", "go-log-prefix", 0.0, 0.0, False),
    (2, False, "xcode", "fly", 433.0, 0.0, False),
    (3, True, "logshow", "json", -12.0, 0.0, True),
    (4, False, "logshow-compact", "journald", 1.5, -8.0, False),
    (5, True, "ndjson", "docker", 0.0, 0.0, False),
    (6, False, "time-only", "kubectl", 0.4, 0.0, True),
    (7, True, "xcode", "logfmt", 90.0, 0.0, False),
    (8, False, "logshow", "go-log", 0.0, 2.0, False),
]


@pytest.mark.parametrize("seed, bug, ios, backend, skew, tz, damaged", CASES)
def test_truth_agrees_with_verify(tmp_path, seed, bug, ios, backend, skew, tz, damaged):
    s = Scenario(bug=bug, users=4, minutes=16, seed=seed, background=0.25, race=0.25, client_logs=3)
    files, truth = simulate(s, ios_format=ios, backend_format=backend, skew=skew, tz_hours=tz, damaged=damaged)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = verify([str(tmp_path)])
    got: dict[str, int] = {}
    for d in result.decisions:
        key = d["cause"] or d["outcome"]
        got[key] = got.get(key, 0) + 1
    assert dict(sorted(got.items())) == truth.counts()
    assert truth.decisions, "the scenario made no decision"
    if bug and "registry_stale" in got:
        assert result.verdict == "bug_present"
    if not bug:
        assert "registry_stale" not in got and result.verdict != "bug_present"
        assert all(c.status != "fail" for c in result.criteria), [c.summary for c in result.criteria]


from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from logcheck.simulate import BACKEND_FORMATS, IOS_FORMATS  # noqa: E402


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(seed=168, bug=False, ios="xcode", backend="go-log-prefix", skew=0.0, damaged=False)  # a race before the first timed line
@example(seed=238, bug=False, ios="logshow", backend="go-log-prefix", skew=0.0, damaged=False)  # a pong raced the close
@example(seed=2327, bug=True, ios="time-only", backend="go-log-prefix", skew=0.0, damaged=False)  # close in the decision's second
@example(seed=6881, bug=True, ios="xcode", backend="journald", skew=510.2, damaged=True)  # connect just after, skewed clock
@example(seed=3616, bug=False, ios="xcode", backend="go-log-prefix", skew=0.0, damaged=False)  # connect on an untimed line
@given(seed=st.integers(0, 10_000), bug=st.booleans(), ios=st.sampled_from(IOS_FORMATS),
       backend=st.sampled_from(BACKEND_FORMATS), skew=st.floats(-600, 600), damaged=st.booleans())
def test_truth_agrees_for_any_seed(tmp_path_factory, seed, bug, ios, backend, skew, damaged):
    folder = tmp_path_factory.mktemp("sim")
    s = Scenario(bug=bug, users=3, minutes=8, seed=seed, background=0.3, race=0.3)
    files, truth = simulate(s, ios_format=ios, backend_format=backend, skew=round(skew, 1), damaged=damaged)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    got: dict[str, int] = {}
    for d in verify([str(folder)]).decisions:
        got[d["cause"] or d["outcome"]] = got.get(d["cause"] or d["outcome"], 0) + 1
    assert dict(sorted(got.items())) == truth.counts()

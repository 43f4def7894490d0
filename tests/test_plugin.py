"""The pytest plugin collects expect.yaml folders and explains mismatches."""
from __future__ import annotations

import shutil

from .conftest import SAMPLES


def test_a_matching_folder_passes_and_a_wrong_expectation_explains_itself(pytester):
    shutil.copytree(SAMPLES / "incident-2025-11-08", pytester.path / "logs" / "incident")
    shutil.copytree(SAMPLES / "incident-2025-11-08", pytester.path / "logs" / "wrong")
    (pytester.path / "logs" / "wrong" / "expect.yaml").write_text(
        "verdict: fix_verified\ncriteria: {SC5: pass, SC1: fail}\ndecisions: {sent: 2}\n")
    result = pytester.runpytest("logs")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "verdict: expected fix_verified, got bug_present" in out
    assert "SC5 No \"not connected\" errors for active users: expected pass, got fail" in out
    assert "backend.log:16: 10:07:51 - [MealLogAI]" in out          # the top evidence line
    assert "decisions: expected {'sent': 2}, got {'registry_stale': 1, 'sent': 1}" in out
    assert "SC1" not in out.split("decisions:")[0].split("SC5")[0].split("verdict:")[1]  # SC1 matched: not listed


def test_an_expectation_without_verdict_is_an_error_message(pytester):
    shutil.copytree(SAMPLES / "race", pytester.path / "race")
    (pytester.path / "race" / "expect.yaml").write_text("criteria: {SC1: pass}\n")
    result = pytester.runpytest("race")
    result.assert_outcomes(failed=1)
    assert "expect.yaml needs a `verdict`" in result.stdout.str()

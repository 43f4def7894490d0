"""`logcheck compare` and `verify --format github`."""
from __future__ import annotations

import json

from .conftest import SAMPLES


def test_split_at_a_deploy_shows_bug_before_and_fix_after(run, tmp_path):
    html = tmp_path / "compare.html"
    code, out, _ = run("compare", SAMPLES / "deploy-midway", "--split-at", "2025-11-08T10:12:30Z", "--json", "-",
                       "--html", html)
    data = json.loads(out)
    assert code == 0 and data["exit_code"] == 0
    assert (data["before"]["verdict"], data["after"]["verdict"]) == ("bug_present", "fix_verified")
    rows = {r["what"]: (r["before"], r["after"]) for r in data["rows"]}
    assert rows["real-time delivery rate"] == ("13%", "100%")
    assert rows["skipped: registry_stale"] == ("13", "0")
    page = html.read_text()
    assert "before 2025-11-08T10:12:30+00:00: bug_present" in page and "default-src 'none'" in page


def test_two_folders(run):
    code, out, _ = run("compare", SAMPLES / "incident-2025-11-08", SAMPLES / "after-fix")
    lines = out.splitlines()
    assert code == 0 and lines[1].split()[1:] == ["bug_present", "fix_verified"]
    code, _, err = run("compare", SAMPLES / "race")
    assert code == 2 and "give two folders (BEFORE AFTER), or logs and --split-at TIME" in err


def test_github_format_annotates_evidence_and_writes_the_summary(run, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run("verify", SAMPLES / "incident-2025-11-08", "--format", "github")
    lines = out.splitlines()
    assert code == 1 and lines[0].startswith("::error title=logcheck bug_present::Registry bug present")
    assert 1 < len(lines) <= 10
    assert any(x.startswith("::error file=") and "ios-4eb4c27c.log,line=21," in x for x in lines)
    assert summary.read_text().startswith("## logcheck ws-registry: ❌ `bug_present`")

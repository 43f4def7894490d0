"""Reports: a self-contained HTML page that escapes log text, plus JUnit XML and Markdown."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from logcheck import __version__, verify
from logcheck.render.html import render_html
from logcheck.render.junit import render_junit
from logcheck.render.markdown import render_markdown
from logcheck.render.page import build_page
from logcheck.simulate import Scenario, simulate

from .conftest import ROOT, SAMPLES, SEED

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}"]


def scrub(text: str) -> str:
    """Dates, versions, hashes and images change between runs and machines; the rest must not."""
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,SCRUBBED", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "SHA256", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z(?=<)", "GENERATED", text)
    text = text.replace(str(ROOT) + "/", "")   # absolute paths of the checkout
    return text.replace(__version__, "VERSION")


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LOGCHECK_UPDATE_GOLDEN"):
        path.write_text(scrub(text), encoding="utf-8")
    assert scrub(text) == path.read_text(encoding="utf-8"), f"{name} changed; LOGCHECK_UPDATE_GOLDEN=1 rewrites it"


@pytest.fixture(scope="module")
def seed_result():
    return verify([str(SEED)], users={"ios.log": "4eb4c27c"}, command="logcheck verify sample_logs/seed-excerpt")


def test_html_golden(seed_result):
    golden("seed-excerpt.html", render_html(build_page(seed_result, seed_result.incident, charts=False)))


def test_junit_golden_and_structure(seed_result):
    xml = render_junit(seed_result)
    golden("seed-excerpt.junit.xml", xml)
    suite = ET.fromstring(xml)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "bug_present"
    cases = {c.get("name").split(" ")[0]: c for c in suite.iter("testcase")}
    assert list(cases) == ["SC1", "SC2", "SC3", "SC4", "SC5", "SC6", "discriminating"]
    assert all(c.get("classname") == "ws-registry" for c in cases.values())
    failure = cases["SC5"].find("failure")
    assert failure is not None and "backend.log:2: 10:07:51 - [MealLogAI]" in failure.text
    assert "client.pong_received 22.0 s earlier" in failure.text
    skipped = cases["SC6"].find("skipped")
    assert skipped is not None and skipped.get("message").startswith("inconclusive: the longest client log spans")


def test_markdown_golden_and_size(seed_result):
    md = render_markdown(seed_result)
    golden("seed-excerpt.md", md)
    assert md.startswith("## logcheck ws-registry: ❌ `bug_present`") and len(md.encode()) < 1 << 20


def hostile_logs(write):
    lines = [
        "10:05:00 - [WebSocket] User 4eb4c27c... connected - added to registry",
        "10:07:13 - [MealLogAI] Processing meal log 556d0423... for user 4eb4c27c...",
        f"10:07:51 - [MealLogAI] Successfully completed processing meal log 556d0423... {HOSTILE[2]}",
        f"10:07:51 - [MealLogAI] ❌ User 4eb4c27c... not connected to WebSocket, skipping notification {HOSTILE[0]} {HOSTILE[1]}",
    ]
    ios = ["10:07:29 - MealLogWebSocketClient: ✅ Connected - User ID: 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98",
           f"10:07:29 - MealLogWebSocketClient: ✅ Pong received {HOSTILE[1]}",
           "10:07:29 - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T10:07:29Z"]
    return write({"backend.log": "\n".join(lines) + "\n", "ios.log": "\n".join(ios) + "\n"})


def test_hostile_log_text_is_escaped_everywhere(write):
    result = verify([str(hostile_logs(write))])
    assert result.verdict == "bug_present"
    html = render_html(build_page(result, result.incident))
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html
    md = render_markdown(result)
    assert "<script>" not in md.split("```")[0]  # outside code fences nothing is raw
    ET.fromstring(render_junit(result))  # well-formed despite the text


def test_nothing_loads_from_the_network(seed_result):
    html = render_html(build_page(seed_result, seed_result.incident))
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:;' in html
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs and all(r.startswith("data:") or r.startswith("#") for r in refs)
    assert "<script" not in html and "<link" not in html


def test_a_fleet_report_is_capped_and_small(tmp_path):
    files, truth = simulate(Scenario(bug=True, users=120, client_logs=8, minutes=20, seed=5))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = verify([str(tmp_path)])
    page = build_page(result, result.incident)
    html = render_html(page)
    assert len(result.decisions) > 200 and page.decisions_more == len(result.decisions) - 200
    assert len(page.charts) == 7 and page.users_not_charted > 0      # six users and the impact figure
    assert len(html.encode()) < 5 * 1024 * 1024
    assert all(len(c.evidence) <= 20 for c in page.criteria)


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium is not installed (apt-get install chromium)")
def test_chromium_renders_the_report(tmp_path, run):
    report = tmp_path / "report.html"
    code, _, _ = run("verify", SAMPLES / "incident-2025-11-08", "--html", report, "--quiet")
    assert code == 1
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
    dom = subprocess.run(args + ["--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert "Registry bug present: 1 notification(s) skipped" in dom.stdout
    assert "violates the following Content Security Policy" not in dom.stderr
    assert "net::ERR_" not in dom.stderr
    shot = tmp_path / "report.png"
    subprocess.run(args + ["--window-size=1280,1800", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000

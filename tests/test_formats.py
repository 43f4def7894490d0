"""Envelope definitions: every sample is a test, and each envelope parses realistic lines."""
from __future__ import annotations

import functools

import polars as pl
import pytest

from logcheck.errors import PackError
from logcheck.ingest.envelope import parse_envelopes
from logcheck.ingest.formats import check_samples, load_formats


def parse(line: str) -> dict:
    return parse_envelopes(pl.DataFrame({"text": [line]}), load_formats()).row(0, named=True)


def test_every_shipped_sample_parses_as_its_format():
    formats = load_formats()
    assert check_samples(formats) == []
    assert len(formats.text) >= 12 and all(f.samples for f in formats.text)
    assert len(formats.json.samples) >= 7


@pytest.mark.parametrize("line, envelope, component, msg, written", [
    ("10:07:29 - MealLogWebSocketClient: ✅ Pong received", "time-only", "MealLogWebSocketClient", "✅ Pong received",
     (None, "10:07:29", None)),
    ("[MealLogAI] 2025/11/08 10:07:51.000123 Processing meal log 556d0423... for user 4eb4c27c...", "go-log-prefix",
     "MealLogAI", "Processing meal log 556d0423... for user 4eb4c27c...", ("2025/11/08", "10:07:51.000123", None)),
    ("2025/11/08 10:07:51 [WebSocket] Disconnected: user=4eb4c27c-304d-4cca-8cc8-2b67a4c75d98", "go-log", "WebSocket",
     "Disconnected: user=4eb4c27c-304d-4cca-8cc8-2b67a4c75d98", ("2025/11/08", "10:07:51", None)),
    ("2025-11-08T10:07:51.123Z app[3d8d9e6b] iad [info] [MealLogAI] 2025/11/08 10:07:51 User 4eb4c27c... IS connected - sending notification",
     "fly+go-log-prefix", "MealLogAI", "User 4eb4c27c... IS connected - sending notification", ("2025-11-08", "10:07:51.123", "Z")),
    ("2025-11-08T10:07:51.123456789Z [WebSocket] 2025/11/08 10:07:51 Ping from user 4eb4c27c... - connection refreshed",
     "iso+go-log-prefix", "WebSocket", "Ping from user 4eb4c27c... - connection refreshed", ("2025-11-08", "10:07:51.123456789", "Z")),
    ("2025-11-08T10:07:51+0000 api-1 mealsvc[812]: [MealLogAI] 2025/11/08 10:07:51 Successfully completed processing",
     "journald-short-iso+go-log-prefix", "MealLogAI", "Successfully completed processing", ("2025-11-08", "10:07:51", "+0000")),
    ("2025-11-08 10:07:29.123456-0800 0x2a4f1c   Default     0x0                  812    0    FitIQ: [com.fitiq.app:websocket] MealLogWebSocketClient: ✅ Pong received at 2025-11-08 18:07:29 +0000",
     "logshow", "MealLogWebSocketClient", "✅ Pong received at 2025-11-08 18:07:29 +0000", ("2025-11-08", "10:07:29.123456", "-0800")),
    ("MealLogWebSocketClient: 📩 Message type: meal_log.completed", "bare", "MealLogWebSocketClient",
     "📩 Message type: meal_log.completed", (None, None, None)),
    ('{"level":"info","ts":1762596471.123,"logger":"WebSocket","msg":"Ping from user 4eb4c27c... - connection refreshed"}',
     "json", "WebSocket", "Ping from user 4eb4c27c... - connection refreshed", (None, None, None)),
    ('{"log":"[MealLogAI] 2025/11/08 10:07:51 Processing meal log 556d0423... for user 4eb4c27c...\\n","stream":"stderr","time":"2025-11-08T10:07:51.5Z"}',
     "json+go-log-prefix", "MealLogAI", "Processing meal log 556d0423... for user 4eb4c27c...", (None, None, None)),
])
def test_envelopes(line, envelope, component, msg, written):
    got = parse(line)
    assert (got["envelope"], got["component"], got["msg"]) == (envelope, component, msg)
    assert (got["date"], got["time"], got["zone"]) == written


def load_problems(path) -> list[str]:
    """Every problem load_formats reports for a formats file (the cache is for the shipped one)."""
    load_formats.cache_clear()
    try:
        with pytest.raises(PackError) as err:
            load_formats(path)
    finally:
        load_formats.cache_clear()
    return err.value.problems


# a formats file's start: the go-log format, up to its samples
GO_LOG_HEAD = (
    "text:\n"
    "  - name: go-log\n"
    "    regex: '^(?P<date>\\d{4}/\\d{2}/\\d{2}) (?P<time>\\d{2}:\\d{2}:\\d{2}) (?P<msg>.*)$'\n"
    "    samples:\n"
)


def test_a_sample_that_its_format_does_not_take_is_reported_with_its_location(tmp_path):
    bad = tmp_path / "formats.yaml"
    bad.write_text(
        GO_LOG_HEAD +
        "      - line: '10:07:51 - [MealLogAI] not a go line'\n"
        "        fields: {time: '10:07:51'}\n"
        "json: {}\n"
    )
    problems = load_problems(bad)
    assert f"{bad}:5:9: sample of 'go-log' was taken by 'bare': 10:07:51 - [MealLogAI] not a go line" in problems


def test_samples_checked_together_are_each_judged_against_their_own_format(tmp_path):
    # all samples are parsed in one frame: each must still be matched with its own format, its
    # own expected fields and its own location, text formats and JSON samples alike
    bad = tmp_path / "formats.yaml"
    bad.write_text(
        GO_LOG_HEAD +
        "      - line: '2025/11/08 10:07:51 [Registry] User 4eb4c27c... not connected'\n"
        "        fields: {time: '10:07:51'}\n"
        "      - line: '2025/11/08 10:07:52 [Ping] Received from user 4eb4c27c...'\n"
        "        fields: {time: '10:07:53'}\n"
        "  - name: time-only\n"
        "    regex: '^(?P<time>\\d{2}:\\d{2}:\\d{2}) - (?P<msg>.*)$'\n"
        "    samples:\n"
        "      - line: '10:07:54 - MealLogWebSocketClient: Pong received'\n"
        "        fields: {time: '10:07:54', msg: Pong received, component: MealLogWebSocketClient}\n"
        "json:\n"
        "  msg: [msg]\n"
        "  time: [time]\n"
        "  samples:\n"
        "    - name: good\n"
        "      line: '{\"time\": \"2025-11-08T10:07:55Z\", \"msg\": \"Sending pong\"}'\n"
        "      fields: {msg: Sending pong}\n"
        "    - name: not-json\n"
        "      line: '10:07:56 - not json'\n"
    )
    assert load_problems(bad) == [
        f"{bad}:7:9: sample of 'go-log' gave time='10:07:52', expected '10:07:53': "
        "2025/11/08 10:07:52 [Ping] Received from user 4eb4c27c...",
        f"{bad}: json sample 'not-json': not parsed as JSON: 10:07:56 - not json",
    ]


def test_regexes_are_checked_with_the_engine_that_runs_them(tmp_path):
    bad = tmp_path / "formats.yaml"
    # Python accepts `[ ]` in verbose mode; polars' engine ignores the space and sees `[]`
    bad.write_text("text:\n  - name: spaced\n    regex: '(?x)^(?P<time>[0-9:]+)[ ](?P<msg>.*)$'\n"
                   "  - name: nosample\n    regex: '^(?P<msg>x.*)$'\njson: {}\n")
    assert load_problems(bad) == [f"{bad}:3:12: bad regex: unclosed character class",
                                  f"{bad}:4:5: format 'nosample' has no sample lines"]


def test_context_patterns_are_each_a_regex(tmp_path):
    # ingest tries them as one alternation, where two broken halves could make one valid regex
    bad = tmp_path / "formats.yaml"
    bad.write_text("text: []\njson: {}\ncontext:\n  - '^Filtering (the'\n  - 'log)|(data'\n")
    assert load_problems(bad) == [f"{bad}:4:5: bad regex: unclosed group", f"{bad}:5:5: bad regex: unopened group"]


def test_a_time_group_holds_only_the_time_of_day(tmp_path):
    # ingest counts a time's fraction digits from its length: a group that also takes the zone
    # (or a date) would be counted wrong, so its sample is refused when the definitions load
    bad = tmp_path / "formats.yaml"
    bad.write_text(
        "text:\n"
        "  - name: zoned-time\n"
        "    regex: '^(?P<date>\\d{4}-\\d{2}-\\d{2})T(?P<time>\\d{2}:\\d{2}:\\d{2}\\.\\d+Z) (?P<msg>.*)$'\n"
        "    samples:\n"
        "      - line: '2025-11-08T10:07:51.123Z Ping from user 4eb4c27c... - connection refreshed'\n"
        "json: {}\n"
    )
    assert load_problems(bad) == [
        f"{bad}:5:9: sample of 'zoned-time' gave time='10:07:51.123Z', which is not HH:MM:SS with an optional "
        "fraction (how row times count its digits): 2025-11-08T10:07:51.123Z Ping from user 4eb4c27c... - connection refreshed"]


def test_each_line_takes_the_first_format_that_extracts_it():
    # formats are tried on the rows a cheap match leaves as candidates, then extracted there:
    # every line must still get the first format (in priority order) whose extraction takes it,
    # lines of no format and lines with a newline inside (a JSON message) included
    from logcheck.ingest.envelope import _extract

    formats = load_formats()
    samples = [line for fmt in formats.text for line, _ in fmt.samples]
    lines = samples + [s + "\nsecond line of the same message" for s in samples[::3]] + [
        "Polling: refreshing meals", "    Backend timestamp: 2025-11-08T10:07:29.120Z", "", "[MealLogAI]",
        "2025/11/08 10:07:51", "10:07:51 -", "2025-11-08T10:07:51Z"]
    lines = lines[::2] + lines[1::2]      # formats interleaved, as in a file that mixes them

    @functools.cache
    def first_taking(line: str) -> str:
        row = pl.DataFrame({"text": [line]}).with_row_index("_i")
        return next((f.name for f in formats.text if _extract(row, f, "text", False)["msg"][0] is not None), "bare")

    got = parse_envelopes(pl.DataFrame({"text": lines}), formats)["envelope"].str.split("+").list.first().to_list()
    assert got == [first_taking(line) for line in lines]
    # a file nearly all of one format skips the match for it (its first rows tell): the lines
    # its extraction does not take still go on to the other formats
    fleet = [f"[WebSocket] 2025/11/08 10:07:{i % 60:02}.412803 Ping from user 4eb4c27c... - connection refreshed"
             for i in range(20 * len(lines))]
    fleet[7::20] = lines
    got = parse_envelopes(pl.DataFrame({"text": fleet}), formats)["envelope"].str.split("+").list.first().to_list()
    assert got.count("go-log-prefix") > 0.9 * len(fleet)
    assert got == [first_taking(line) for line in fleet]


def test_a_split_that_cuts_a_sample_otherwise_than_its_regex_captures_is_refused(tmp_path):
    # `split` cuts lines at spaces instead of capturing: a group that can hold a space (here a
    # component) would be cut wrong on every such line, so the samples tell when the definitions load
    bad = tmp_path / "formats.yaml"
    bad.write_text(
        "text:\n"
        "  - name: spaced-prefix\n"
        "    regex: '^\\[(?P<component>[\\w .-]+)\\] (?P<date>\\d{4}/\\d{2}/\\d{2}) (?P<time>\\d{2}:\\d{2}:\\d{2}) (?P<msg>.*)$'\n"
        "    split: '[component] date time msg'\n"
        "    samples:\n"
        "      - line: '[Meal Log] 2025/11/08 10:07:51 Processing meal log 556d0423... for user 4eb4c27c...'\n"
        "json: {}\n"
    )
    # the sample's own check sees a wrong time; the split's, every field cut wrong
    cut_wrong = (f"{bad}:4:12: split gives {{'component': 'Meal', 'date': 'Log]', 'time': '2025/11/08', "
                 "'msg': '10:07:51 Processing meal log 556d0423... for user 4eb4c27c...'} where the regex gives "
                 "{'component': 'Meal Log', 'date': '2025/11/08', 'time': '10:07:51', "
                 "'msg': 'Processing meal log 556d0423... for user 4eb4c27c...'}: "
                 "[Meal Log] 2025/11/08 10:07:51 Processing meal log 556d0423... for user 4eb4c27c...")
    assert load_problems(bad)[1:] == [cut_wrong]
    bad.write_text(
        "text:\n"
        "  - name: go-log\n"
        "    regex: '^(?P<date>\\d{4}/\\d{2}/\\d{2}) (?P<time>\\d{2}:\\d{2}:\\d{2}) (?P<msg>.*)$'\n"
        "    split: 'date [time] message'\n"
        "    samples:\n"
        "      - line: '2025/11/08 10:07:51 [MealLogAI] Processing meal log 556d0423... for user 4eb4c27c...'\n"
        "json: {}\n"
    )
    not_groups = (f"{bad}:4:12: split 'date [time] message' is not the regex's groups date, time, msg as "
                  "words one space apart, each perhaps in punctuation, the message last")
    assert load_problems(bad) == [not_groups]


def test_the_shipped_splits_cut_lines_as_their_regexes_capture():
    # on the lines of a fleet and of damaged text, not only the samples: what a split gives, the
    # regex gives, line for line (lines the regex does not match get nothing either way)
    from dataclasses import replace

    from logcheck.ingest.envelope import _extract

    formats = load_formats()
    lines = [
        "[WebSocket] 2025/11/08 10:07:29.412803 Ping from user 4eb4c27c-304d-4cca-8cc8-2b67a4c75d98 - connection refreshed",
        "[MealLogAI] 2025/11/08 10:07:51 ❌ User 4eb4c27c... not connected to WebSocket, skipping notification",
        "[MealLogAI] 2025/11/08 10:07:51 ",       # an empty message
        "[MealLogAI] 2025/11/08 10:07:51",        # no message at all: not the format
        "[Meal Log] 2025/11/08 10:07:51 spaced component",
        "[WebSocket]  2025/11/08 10:07:29 two spaces",
        "2025/11/08 10:07:51 [MealLogAI] ‚úÖ Successfully completed processing meal log 556d0423...",
        "2025/11/08 10:07:51.123456789 [HTTP] GET /api/v1/meal-logs?date=2025-11-08 - 200 (3.1ms)",
        "2025/11/08 10:07:51.1234567890 too many digits",
        "2025/11/08 10:07:51\tmessage after a tab",
        "2025/11/08 10:07:51 message\nwith a second line",
        "10:07:29 - MealLogWebSocketClient: ✅ Pong received",
    ]
    rows = pl.DataFrame({"text": lines})
    split = [f for f in formats.text if f.split is not None]
    assert {f.name for f in split} >= {"go-log-prefix", "go-log"}
    for fmt in split:
        cut = _extract(rows, fmt, "text", True).select(fmt.groups)
        captured = _extract(rows, replace(fmt, split=None), "text", True).select(fmt.groups)
        assert cut.to_dicts() == captured.to_dicts(), fmt.name
        assert cut["msg"].is_not_null().sum() >= 3

"""For any bytes at all: no crash, and every line is an event, context, or unrecognised."""
from __future__ import annotations

import importlib

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from logcheck import ingest
from logcheck.ingest.sources import Reader, Source, Texts, _looks_binary, read_lines

REAL = [
    b"10:07:29 - MealLogWebSocketClient: \xe2\x9c\x85 Pong received",
    b"10:07:29 - MealLogWebSocketClient:    - Backend timestamp: 2025-11-08T10:07:29Z",
    b"[MealLogAI] 2025/11/08 10:07:51 User 4eb4c27c... not connected to WebSocket, skipping notification",
    b'{"time":"2025-11-08T10:07:51Z","level":"INFO","msg":"User 4eb4c27c... IS connected - sending notification"}',
    b"2025-11-08T10:07:51.123Z app[3d8d9e6b] iad [info] [WebSocket] 2025/11/08 10:07:51 Disconnected: user=4eb4c27c...",
    b"MealLogWebSocketClient: \xef\xa3\xbf\xc3\xbc\xc3\xa8\xc3\xac Sending application-level ping",
    b"",
    b"\x00\xff\xfe garbage",
]
lines = st.one_of(st.sampled_from(REAL), st.binary(max_size=80))
files = st.lists(lines, max_size=30).map(lambda ls: b"\n".join(ls)).flatmap(
    lambda body: st.sampled_from([body, body + b"\n", body.replace(b"\n", b"\r\n"), b"\xef\xbb\xbf" + body]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=files)
def test_accounting_holds_for_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "any.log"
    path.write_bytes(data)
    result = ingest([str(path)])
    (summary,) = result.inputs
    assert summary.lines == summary.events + summary.context + summary.unrecognised
    if summary.damage.skipped:
        assert summary.lines == 0 and result.events.height == 0
    else:
        assert result.events.height == summary.lines
        assert result.events["line"].to_list() == list(range(1, summary.lines + 1))


def _python_lines(data: bytes) -> tuple[list[str], int, int, int]:
    """The plain definition: drop one leading BOM, strip NUL, decode with replacement, split on \\n,
    drop the \\r of CRLF."""
    data = data.removeprefix(b"\xef\xbb\xbf").replace(b"\x00", b"")
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    text = text[:-1] if text.endswith("\n") else text
    lines = text.split("\n")
    crlf = sum(1 for ln in lines if ln.endswith("\r"))
    return [ln.removesuffix("\r") for ln in lines], crlf, invalid, int(bool(data) and not data.endswith(b"\n"))


@settings(max_examples=200, deadline=None)
@example(data=b"x\x9c starts like zlib\nsecond\n")
@example(data=b"(\xb5/\xfd starts like zstd\r\n")
@example(data=b"\n\n\r\nlast line cut\r")
@example(data=b"\xef\xbb\xbf\xef\xbb\xbftwo BOMs: the second is text\n")
@given(data=files.filter(lambda b: b and not _looks_binary(b) and not b.startswith(b"\x1f\x8b")))
def test_fast_line_split_is_the_plain_definition(data):
    frame, damage = read_lines(Source("any.log", data=data))
    lines, crlf, invalid, cut = _python_lines(data)
    assert frame["raw"].to_list() == lines
    assert (damage.crlf_lines, damage.invalid_utf8, damage.truncated_last_line) == (crlf, invalid, bool(cut))


@settings(max_examples=150, deadline=None)
@example(data=b"\xef\xbb\xbfBOM then\r\nlines\n", block=4)
@example(data=b"no newline at all, longer than a block", block=5)
@example(data=b"ends in CR\r", block=3)
@example(data=b"\xef\xbb\xbfone\n\xef\xbb\xbftwo: a BOM within the file is text\nthree\n", block=64)
@given(data=files, block=st.integers(min_value=1, max_value=64))
def test_reading_in_blocks_is_reading_whole(data, block):
    # a large file is read a block at a time: the same lines, numbers and damage as in one piece
    whole, damage = read_lines(Source("any.log", data=data))
    reader = Reader(Source("any.log", data=data), block_bytes=block)
    frames = list(reader)
    blocked = pl.concat(frames) if frames else whole.clear()
    assert blocked.equals(whole)
    assert reader.damage == damage
    for rest in (1, 2):     # and any line can be read again, block by block (a few of a block's lines alone)
        picked = whole.filter(pl.col("line") % 3 == rest)
        assert reader.lines_at(picked["line"]).sort("line").equals(picked)


def test_lines_not_in_a_source_come_back_as_nothing():
    # line 0, lines past the end, and a skipped (empty) source: nothing to quote, no error
    reader = Reader(Source("any.log", data=b"first\nsecond\n"))
    list(reader)
    assert reader.lines_at(pl.Series([0, 2, 9])).rows() == [(2, "second")]
    empty = Reader(Source("empty.log", data=b""))
    list(empty)
    assert empty.damage.skipped == "empty" and empty.lines_at(pl.Series([1])).height == 0


def test_a_small_file_read_again_keeps_its_lines_and_a_large_one_does_not(tmp_path, monkeypatch):
    # the decisions' JSON reads lines again a slice of decisions at a time: a file of one block
    # keeps its lines once read again (a hundred client logs are not decoded again for every
    # slice), up to KEEP_BYTES in all; a file of several blocks is read again each time
    text = "".join(f"10:07:{i % 60:02} - MealLogWebSocketClient: ✅ Pong received ({i})\n" for i in range(200))
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    small, large = Reader(Source("a.log", path=tmp_path / "a.log")), Reader(Source("a.log", path=tmp_path / "a.log"), block_bytes=1000)
    for reader in (small, large):
        list(reader)
    opened = []
    real = Reader._reopen
    monkeypatch.setattr(Reader, "_reopen", lambda self: opened.append(self) or real(self))
    for picked in ([1, 50, 200], [2, 199], [0, 201]):
        for reader in (small, large):
            got = reader.lines_at(pl.Series(picked), keep=True)
            assert got.rows() == [(n, text.splitlines()[n - 1]) for n in picked if 1 <= n <= 200]
    assert opened.count(small) == 1 and opened.count(large) == 3
    # through Texts: only as many files keep their lines as KEEP_BYTES has room for
    monkeypatch.setattr(importlib.import_module("logcheck.ingest.sources"), "KEEP_BYTES", len(text.encode()) + 10)
    readers = [Reader(Source(name, path=tmp_path / name)) for name in ("a.log", "b.log")]
    for reader in readers:
        list(reader)
    texts, opened[:] = Texts(readers), []
    rows = pl.DataFrame({"file": ["a.log", "b.log"], "line": [3, 4]})
    for _ in range(3):
        assert texts.of(rows)["raw"].to_list() == [text.splitlines()[2], text.splitlines()[3]]
    # one of them (whichever is read first) keeps its lines; there is no room for the other
    assert sorted([r.name for r in opened].count(name) for name in ("a.log", "b.log")) == [1, 3]

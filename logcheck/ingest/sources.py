"""Turn the paths a user gives into sources, and each source into numbered lines.

A source is read whole as bytes (gzip is undone by its magic number, not its name), decoded as
UTF-8 with replacement, and split on newlines. Damage is repaired where it is safe and counted
always, so a summary can say how much of a file was mended.
"""
from __future__ import annotations

import contextlib
import glob
import gzip
import os
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..frames import owned_strings

_GZIP_MAGIC = b"\x1f\x8b"
_REPLACEMENT = "\ufffd".encode()
# magic numbers polars' reader decompresses by: gzip, zlib (four levels), zstd
_COMPRESSED = (b"\x1f\x8b", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x28\xb5\x2f\xfd")
_BOM = b"\xef\xbb\xbf"
_SHIELDED = (*_COMPRESSED, _BOM)


@dataclass
class Source:
    """One input: a file, a member of a directory, or stdin."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    stream: str | None = None  # forced with --ios / --backend


@dataclass
class Damage:
    """What was wrong with a source's bytes, counted."""

    invalid_utf8: int = 0
    nul_bytes: int = 0
    bom: bool = False
    crlf_lines: int = 0
    truncated_last_line: bool = False
    gzip: bool = False
    skipped: str | None = None  # "empty" or "binary": the source yields no lines
    notes: list[str] = field(default_factory=list)


def expand(paths: list[str], forced: dict[str, str] | None = None) -> list[Source]:
    """Expand files, directories (recursive, sorted), globs and ``-`` into sources.

    Raises:
        InputError: a path that matches nothing.
    """
    forced = {("-" if k == "-" else str(Path(k).resolve())): v for k, v in (forced or {}).items()}
    sources: list[Source] = []
    for given in paths:
        if given == "-":
            sources.append(Source("<stdin>", data=sys.stdin.buffer.read(), stream=forced.get("-")))
            continue
        path = Path(given)
        if path.is_dir():
            members = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            members = [p for p in members if not _is_meta(p)]
            if not members:
                raise InputError(f"{given}: no log files in this folder")
            sources += [Source(str(p), p, stream=forced.get(str(p.resolve()))) for p in members]
        elif path.is_file():
            sources.append(Source(str(path), path, stream=forced.get(str(path.resolve()))))
        else:
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                raise InputError(f"{given}: no such file or directory")
            sources += [Source(m, Path(m), stream=forced.get(str(Path(m).resolve()))) for m in matches if Path(m).is_file()]
    return sources


def _is_meta(path: Path) -> bool:
    # A fixture folder's expectation and notes are not logs.
    return path.name in {"expect.yaml", "truth.json", "README.md", "README.txt"}


# a block of a large file: about one parsing chunk of a fleet log. Under glibc's largest mmap
# threshold (32 MiB): once a freed block has raised the threshold, the next comes from memory
# already faulted in, not freshly mapped (reading a 10M-line fleet: 1.0 s, not 1.3-1.5 s)
BLOCK_BYTES = 30 << 20
# files of one block keep their lines once read again, up to this much in all: the decisions'
# JSON reads a hundred client logs' lines again for each slice of 100,000 decisions (6 MB in all)
KEEP_BYTES = 64 << 20


class Reader:
    """A source's lines, a block of whole lines at a time (``for frame in reader``: frames of
    ``line``, 1-based, and ``raw``), its damage once read, and ``lines_at`` to read some lines
    again: a fleet's correlation keeps file:line, not the text of millions of lines."""

    def __init__(self, source: Source, block_bytes: int | None = None):
        self.source = source
        self.name = source.name
        self.damage = Damage()
        self.blocks: list[tuple[int, int, int]] = []     # (byte offset, bytes, first line) of each block
        self._block_bytes = block_bytes or BLOCK_BYTES
        self._stamp: tuple[int, int] | None = None         # (size, mtime) as read
        self._head = b""                                   # the first bytes, to tell binary from text
        self.complete = False                              # the last block has been handed out
        self._kept: pl.Series | None = None                # its lines, once read again (``lines_at(keep=True)``)

    def __iter__(self) -> Iterator[pl.DataFrame]:
        damage, line = self.damage, 1
        for offset, block, first, last in self._byte_blocks():
            if first and not self._head:
                damage.skipped = "empty"
                return
            if first and _looks_binary(self._head):
                damage.skipped = "binary"
                return
            raw = _decode(block, first, last, damage)
            self.blocks.append((offset, len(block), line))
            self.complete = last
            yield pl.DataFrame({"line": pl.int_range(line, line + len(raw), dtype=pl.UInt32, eager=True), "raw": raw})
            line += len(raw)

    def estimated_lines(self, first: pl.DataFrame) -> int | None:
        """The file's lines, guessed from its size and its first block (for a progress bar)."""
        if self._stamp is None or self.damage.gzip or not self.blocks or not first.height:
            return None     # stdin's size is not known; a gzip file's is not its text's
        return max(first.height, round(self._stamp[0] * first.height / self.blocks[0][1]))

    @property
    def read_whole(self) -> bool:
        """Whether finding a line again means reading the whole source (stdin, gzip), not one block."""
        return self.source.path is None or self.damage.gzip

    def lines_at(self, lines: pl.Series, keep: bool = False) -> pl.DataFrame:
        """``line`` and ``raw`` of the given line numbers, read again from the source, block by
        block, only the blocks that hold them. With ``keep``, a source of one block keeps its
        lines: the next reads take them from memory.

        Raises:
            InputError: the file is gone, or changed other than by growing (rotated, rewritten).
        """
        want = pl.DataFrame({"line": lines.cast(pl.Int64).unique().sort()})
        if self._kept is not None:
            return _pick(self._kept, 1, want["line"])
        firsts = pl.Series([b[2] for b in self.blocks], dtype=pl.Int64)
        want = want.with_columns(block=firsts.search_sorted(want["line"], side="right").cast(pl.Int64) - 1).filter(pl.col("block") >= 0)
        data = self._data(Damage()) if self.read_whole else None

        def read(b: int, wanted: pl.DataFrame, f) -> pl.DataFrame:
            offset, size, first = self.blocks[b]
            block = data[offset:offset + size] if data is not None else _read_at(f, offset, size)
            raw = _decode(block, b == 0, b == len(self.blocks) - 1, None)
            if keep and len(self.blocks) == 1:
                self._kept = raw
            return _pick(raw, first, wanted["line"])

        groups = [(key[0], wanted) for key, wanted in want.partition_by("block", as_dict=True, maintain_order=True).items()]
        # blocks on all cores (decoding a fleet's blocks again is seconds); reads by position, so
        # threads share one file
        with contextlib.nullcontext() if data is not None else self._reopen() as f:
            if len(groups) > 1:
                with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                    parts = list(pool.map(lambda group: read(*group, f), groups))
            else:
                parts = [read(*group, f) for group in groups]
        return pl.concat(parts) if parts else pl.DataFrame(schema={"line": pl.UInt32, "raw": pl.String})

    def _reopen(self):
        try:
            f = open(self.source.path, "rb")
            st = os.fstat(f.fileno())
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read again: {exc.strerror}") from None
        size, mtime = self._stamp or (0, 0)
        if st.st_size < size or (st.st_size == size and st.st_mtime_ns != mtime):
            f.close()
            raise InputError(f"{self.name}: changed since it was read (rotated or rewritten); run again")
        return f

    def _data(self, damage: Damage) -> bytes:
        """The whole source in memory: stdin, or a gzip file (read in one piece, not seekable);
        gzip is noted in ``damage``."""
        data = self.source.data
        if data is None:
            try:
                data = self.source.path.read_bytes()
            except OSError as exc:
                raise InputError(f"{self.name}: cannot read: {exc.strerror}") from None
        if data[:2] == _GZIP_MAGIC:
            damage.gzip = True
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                data = _salvage_gzip(data, damage)
        return data

    def _open(self):
        """The file to read block by block, its size and first bytes noted; None for stdin and
        gzip, which are read whole."""
        if self.source.data is not None:
            return None
        try:
            f = open(self.source.path, "rb")
            st = os.fstat(f.fileno())
            self._stamp = (st.st_size, st.st_mtime_ns)
            self._head = f.read(8192)
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read: {exc.strerror}") from None
        if self._head[:2] == _GZIP_MAGIC:
            f.close()
            return None
        f.seek(0)
        return f

    def _byte_blocks(self) -> Iterator[tuple[int, bytes, bool, bool]]:
        """(offset, bytes, first, last): blocks of whole lines, the last one perhaps cut. The file
        is closed before the last block is handed out: a folder of many small files is never all
        open at once."""
        f = self._open()
        if f is None:
            data = self._data(self.damage)
            self._head = data[:8192]
            windows = ((data, i, min(i + self._block_bytes, len(data))) for i in range(0, len(data), self._block_bytes))
        else:   # one buffer for every read (fresh memory costs a page fault every 4 KB), as large as the file needs
            space = bytearray(min(self._block_bytes, max(self._stamp[0] + 1, 1 << 16)))
            windows = ((space, 0, n) for n in iter(lambda: f.readinto(space), 0))
        offset, carry, ready = 0, b"", None
        try:
            for buf, start, end in windows:
                cut = buf.rfind(b"\n", start, end) + 1
                if not cut:
                    carry += memoryview(buf)[start:end]     # a line longer than a block: read on
                    continue
                if ready is not None:   # not the last block: hand it out and read on
                    yield offset, ready, offset == 0, False
                    offset += len(ready)
                # copied once, out of a buffer the next read overwrites
                ready, carry = carry + memoryview(buf)[start:cut], bytes(memoryview(buf)[cut:end])
        finally:
            if f is not None:
                f.close()
            windows = space = None      # this generator lives on while its last block is parsed
        rest = [b for b in (ready, carry) if b] or [b""]     # an empty source is one empty block
        for i, block in enumerate(rest):
            yield offset, block, offset == 0, i == len(rest) - 1
            offset += len(block)


class Texts:
    """The text of any line read, by file and line number, read again from its source."""

    def __init__(self, readers: list[Reader]):
        self._readers = {r.name: r for r in readers}
        self._room = KEEP_BYTES     # for the lines of one-block files, kept once read again
        self._kept: set[str] = set()

    def _keep(self, reader: Reader) -> bool:
        """Whether ``reader`` may keep its lines: one block, with room left for it the first time."""
        if reader.name not in self._kept and len(reader.blocks) == 1 and reader.blocks[0][1] <= self._room:
            self._room -= reader.blocks[0][1]
            self._kept.add(reader.name)
        return reader.name in self._kept

    def by_position(self, files: list[str]) -> bool:
        """Whether these files' lines are read again from where they are (not by reading a gzip
        file or stdin whole): then reading a few at a time costs no more than all at once."""
        return not any(r.read_whole for name, r in self._readers.items() if name in files)

    def of(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` (with ``file`` and ``line``) with ``raw``, the line as read, in their order.

        Raises:
            InputError: a file is gone or was rewritten since it was read.
        """
        # files as they come (categories, for a fleet's decisions): as text, a million names made for a join
        file = rows.schema["file"]
        keys = rows.select("file", pl.col("line").cast(pl.UInt32)).drop_nulls().unique()
        found = [self._readers[name].lines_at(part["line"], keep=self._keep(self._readers[name]))
                 .select(pl.lit(name).cast(file).alias("file"), _l="line", raw="raw")
                 for (name,), part in keys.partition_by("file", as_dict=True).items() if name in self._readers]
        text = pl.concat(found) if found else pl.DataFrame(schema={"file": file, "_l": pl.UInt32, "raw": pl.String})
        return rows.drop("raw", strict=False).with_columns(_l=pl.col("line").cast(pl.UInt32)).join(
            text, on=["file", "_l"], how="left", maintain_order="left").drop("_l")


def _pick(raw: pl.Series, first: int, lines: pl.Series) -> pl.DataFrame:
    """``line`` and ``raw`` of ``lines`` from a block's lines, the first of which is line ``first``."""
    at = lines - first
    at = at.filter((at >= 0) & (at < len(raw)))    # positions in the block
    return owned_strings(pl.DataFrame({"line": (at + first).cast(pl.UInt32), "raw": raw.gather(at)}))


def _read_at(f, offset: int, size: int) -> bytes:
    """``size`` bytes of an open file from ``offset`` (fewer at its end), without moving a shared position."""
    out = b""
    while len(out) < size:
        got = os.pread(f.fileno(), size - len(out), offset + len(out))
        if not got:
            break
        out += got
    return out


def read_lines(source: Source) -> tuple[pl.DataFrame, Damage]:
    """A whole source as one frame of ``line`` and ``raw``, plus its damage."""
    reader = Reader(source)
    frames = list(reader)
    return (pl.concat(frames) if frames else _empty()), reader.damage


def _decode(block: bytes, first: bool, last: bool, damage: Damage | None) -> pl.Series:
    """The lines of a block of whole lines, damage counted into ``damage``: the same lines and
    counts, block by block, as for the whole source at once. None: lines read again, their
    damage counted already."""
    seen = damage or Damage()
    if first and block.startswith(_BOM):
        seen.bom = True
        block = block[3:]
    if block.find(b"\x00") >= 0:        # find is a fast scan; count only when there is something
        seen.nul_bytes += block.count(b"\x00")
        block = block.replace(b"\x00", b"")
    if block.find(b"\r") >= 0:
        seen.crlf_lines += block.count(b"\r\n") + (last and block.endswith(b"\r"))
    if last:
        seen.truncated_last_line = bool(block) and not block.endswith(b"\n")
    if not block:    # a source that was only a BOM is one empty line; a last block of NUL bytes, none
        return pl.Series("raw", [""] if first else [], pl.String)
    raw, replaced = _split_lines(block)
    if damage is not None and replaced and raw.str.contains("\ufffd", literal=True).any():
        written = block.count(_REPLACEMENT)    # U+FFFD the file itself wrote is not damage
        damage.invalid_utf8 += int(raw.str.count_matches("\ufffd", literal=True).sum()) - written
    return raw


def _split_lines(data: bytes) -> tuple[pl.Series, bool]:
    """Lines of ``data`` (free of NUL bytes), decoded with replacement, by polars' CSV reader:
    NUL as the separator and no quoting leave every line whole, in a tenth of Python's split time.
    The reader ends lines at \\n and drops a \\r before it, keeps blank lines (as nulls) and
    replaces invalid UTF-8 as Python's ``errors="replace"`` does. ``data`` is not empty. Also
    whether anything was replaced: valid text is read strictly first, at a third of the cost."""
    # the reader decompresses what starts like gzip, zlib or zstd, and drops a BOM it starts with
    # (one within the file is text, and a block may start there): a blank first line disarms both
    shield = data.startswith(_SHIELDED)      # only then copy the data to put a line before it
    text = b"\n" + data if shield else data
    try:
        frame, replaced = _read_lines(text, "utf8"), False
    except pl.exceptions.PolarsError:       # invalid UTF-8 somewhere (a ComputeError in polars 2.1)
        frame, replaced = _read_lines(text, "utf8-lossy"), True
    raw = frame["raw"].fill_null("").slice(int(shield))
    if data.endswith(b"\r"):                 # a cut last line keeps its \r
        raw = raw.scatter(len(raw) - 1, raw[-1].removesuffix("\r"))
    return raw, replaced


def _read_lines(data: bytes, encoding: str) -> pl.DataFrame:
    """One column ``raw``, a row per line: see :func:`_split_lines`."""
    return pl.read_csv(data, has_header=False, separator="\x00", quote_char=None, new_columns=["raw"],
                       infer_schema=False, encoding=encoding, raise_if_empty=False)


def _salvage_gzip(data: bytes, damage: Damage) -> bytes:
    # A capture cut off mid-stream still holds good lines before the cut.
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decomp.decompress(data)
    except zlib.error:
        out = b""
    damage.notes.append("gzip stream is truncated or corrupt; read what decompressed")
    return out


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.count(b"\x00") > len(head) // 10:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 0))
    return controls > len(head) // 10


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"line": pl.UInt32, "raw": pl.String})

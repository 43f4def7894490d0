"""Envelope definitions (``rules/formats.yaml``) loaded into typed objects.

Loading checks every sample line with polars' regex engine, the one parsing uses: it must match
its format, be matched by no earlier format (the first match wins), and yield its fields.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ..errors import PackError
from ..packs import regex_problem
from ..resources import data_dir
from ..yamlload import Located, load_yaml
from .timestamps import TIME_SHAPE

# Groups every text format may fill; anything else a regex captures is kept only for samples.
STANDARD = ("date", "time", "zone", "level", "component", "msg")


@dataclass(frozen=True)
class TextFormat:
    name: str
    regex: str
    inner: bool
    groups: tuple[str, ...]
    samples: tuple[tuple[str, dict], ...]
    doc: str = ""
    # the groups by position (``split:``): each (opening, group, closing) of a space-separated word,
    # the last the message; where the regex matches, these words are its groups (see :func:`_split`)
    split: tuple[tuple[str, str, str], ...] | None = None


@dataclass(frozen=True)
class JsonFormat:
    keys: dict[str, tuple[str, ...]]  # field -> candidate keys, first present wins
    samples: tuple[tuple[str, str, dict], ...]


@dataclass(frozen=True)
class Formats:
    text: tuple[TextFormat, ...]
    json: JsonFormat
    context: tuple[str, ...]
    source: Path

    def by_name(self, name: str) -> TextFormat:
        return next(f for f in self.text if f.name == name)


@functools.cache
def load_formats(path: Path | None = None) -> Formats:
    """Load and check the format definitions; raise PackError listing every problem."""
    located = load_yaml(path or data_dir("rules") / "formats.yaml")
    problems: list[str] = []
    formats = _parse(located, problems)
    if not problems:
        problems += check_samples(formats, located)
    if problems:
        raise PackError(problems)
    return formats


def _parse(located: Located, problems: list[str]) -> Formats:
    data = located.data if isinstance(located.data, dict) else {}
    text = []
    for i, item in enumerate(data.get("text") or []):
        where = located.where(("text", i))
        try:
            _compiles_in_polars(item["regex"])
            groups = tuple(re.compile(item["regex"]).groupindex)
            if "msg" not in groups:
                problems.append(f"{where}: format {item['name']!r} has no (?P<msg>...) group")
            samples = tuple((s["line"], dict(s.get("fields") or {})) for s in item.get("samples") or [])
        except (KeyError, TypeError) as exc:
            problems.append(f"{where}: format needs name, regex and samples ({exc})")
            continue
        except (re.error, ValueError) as exc:
            problems.append(f"{located.where(('text', i, 'regex'))}: bad regex: {exc}")
            continue
        if not samples:
            problems.append(f"{where}: format {item['name']!r} has no sample lines")
        split = _split(item.get("split"), groups, located.where(("text", i, "split")), problems)
        text.append(TextFormat(item["name"], item["regex"], bool(item.get("inner")), groups, samples, item.get("doc", ""), split))
    js = data.get("json") or {}
    keys = {k: tuple(v) for k, v in js.items() if k != "samples"}
    jsamples = tuple((s.get("name", "?"), s["line"], dict(s.get("fields") or {})) for s in js.get("samples") or [])
    context = tuple(data.get("context") or [])
    for i, pattern in enumerate(context):    # also tried as one alternation: each must be a regex of its own
        if (why := regex_problem(pattern)) is not None:
            problems.append(f"{located.where(('context', i))}: bad regex: {why}")
    return Formats(tuple(text), JsonFormat(keys, jsamples), context, located.path)


_WORD = re.compile(r"([^\w\s]*)(\w+)([^\w\s]*)")


def _split(spec: object, groups: tuple[str, ...], where: str, problems: list[str]) -> tuple[tuple[str, str, str], ...] | None:
    """``split: "[component] date time msg"``: the regex's groups as the words of a line, one
    space apart, none of which can hold a space (a regex's shape, checked on the samples): parsing
    then only matches the regex and cuts lines at spaces, a third of capturing's cost."""
    if spec is None:
        return None
    words = [_WORD.fullmatch(w) for w in str(spec).split(" ")]
    names = [w.group(2) for w in words if w]
    if not all(words) or names[-1:] != ["msg"] or sorted(names) != sorted(groups):
        problems.append(f"{where}: split {spec!r} is not the regex's groups {', '.join(groups)} as words one space "
                        "apart, each perhaps in punctuation, the message last")
        return None
    return tuple(w.groups() for w in words)


def _compiles_in_polars(regex: str) -> None:
    """Parsing uses polars' (Rust) engine: a regex must compile there, not only in Python's."""
    if (why := regex_problem(regex)) is not None:
        raise ValueError(why)


# A text format's time group holds this and nothing else: ingest counts a time's fraction digits
# from its length, not with a regex (a tenth of the cost of reading a fleet's times).
def check_samples(formats: Formats, located: Located | None = None) -> list[str]:
    """Check each sample against the parser itself; return problems (empty when all hold)."""
    problems = []
    text = [(i, j, fmt, line, expected) for i, fmt in enumerate(formats.text) for j, (line, expected) in enumerate(fmt.samples)]
    # every sample in one frame: the parser reads each line on its own (a file's first rows
    # only reorder the formats tried from 2,000 rows on), and one pass is 10 ms, not one per sample
    parsed = _parse_all(formats, [t[3] for t in text] + [line for _, line, _ in formats.json.samples])
    for (i, j, fmt, line, expected), got in zip(text, parsed):
        where = _where(formats, located, i, "samples", j)
        if got["envelope"].split("+")[0] != fmt.name:
            problems.append(f"{where}: sample of {fmt.name!r} was taken by {got['envelope']!r}: {line}")
            continue
        problems += _compare(where, fmt.name, line, expected, got)
        if got.get("time") is not None and not re.fullmatch(TIME_SHAPE, got["time"]):
            problems.append(f"{where}: sample of {fmt.name!r} gave time={got['time']!r}, which is not HH:MM:SS "
                            f"with an optional fraction (how row times count its digits): {line}")
    problems += _split_agrees(formats, located)
    for (name, line, expected), got in zip(formats.json.samples, parsed[len(text):]):
        where = f"{formats.source}: json sample {name!r}"
        if got["envelope"].split("+")[0] != "json":
            problems.append(f"{where}: not parsed as JSON: {line}")
        problems += _compare(where, name, line, expected, got)
    return problems


def _where(formats: Formats, located: Located | None, i: int, *path: str | int) -> str:
    """Where text format ``i``'s ``path`` is: file:line:column when loaded from YAML."""
    return located.where(("text", i, *path)) if located else f"{formats.source}: {formats.text[i].name}"


def _split_agrees(formats: Formats, located: Located | None) -> list[str]:
    """A format's ``split`` must give its samples the fields its regex captures."""
    from .envelope import _extract

    problems = []
    for i, fmt in enumerate(formats.text):
        if fmt.split is None:
            continue
        rows = pl.DataFrame({"text": [line for line, _ in fmt.samples]}, schema={"text": pl.String})
        cut, captured = (_extract(rows, f, "text", True).select(fmt.groups) for f in (fmt, replace(fmt, split=None)))
        for j, (a, b) in enumerate(zip(cut.iter_rows(named=True), captured.iter_rows(named=True))):
            if a != b:
                problems.append(f"{_where(formats, located, i, 'split')}: split gives {a} where the regex gives {b}: {fmt.samples[j][0]}")
    return problems


def _parse_all(formats: Formats, lines: list[str]) -> list[dict]:
    from .envelope import _PROBE_ROWS, parse_envelopes  # the parser itself is what samples must satisfy

    if len(lines) > _PROBE_ROWS:    # beyond, a batch's formats are reordered by its first rows
        return [row for start in range(0, len(lines), _PROBE_ROWS) for row in _parse_all(formats, lines[start:start + _PROBE_ROWS])]
    frame = pl.DataFrame({"text": lines}, schema={"text": pl.String})
    return parse_envelopes(frame, formats, keep_extra=True).to_dicts() if lines else []


def _compare(where: str, name: str, line: str, expected: dict, got: dict) -> list[str]:
    out = []
    for key, want in expected.items():
        have = got.get(key)
        if have != str(want):
            out.append(f"{where}: sample of {name!r} gave {key}={have!r}, expected {str(want)!r}: {line}")
    return out

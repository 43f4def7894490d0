"""Rule packs: YAML in ``rules/`` parsed into typed objects, every error with file:line:col.

A pack holds parameters, the event vocabulary of each stream, decision causes, criteria built
from generic rule kinds (``evaluate/rules.py``), a discriminating check and the verdict inputs.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import durations
from .errors import PackError
from .resources import data_dir
from .yamlload import Located, load_yaml

ID = (
    r"(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    r"|[0-9a-f]{8}(?:-[0-9a-f]{1,4})*-?(?:\.\.\.|…))"
)
ID_CHARS = frozenset("0123456789abcdefABCDEF-.…")     # every character ``ID`` takes (patterns are case-insensitive)
FIELDS = ("user", "meal", "code", "reason", "attempt", "method", "path", "status")
STREAMS = ("ios", "backend")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Param(_Model):
    value: str | int | float
    doc: str = ""

    @field_validator("value")
    @classmethod
    def _duration(cls, value: str | int | float) -> str | int | float:
        durations.parse_duration(value)
        return value


class Pattern(_Model):
    pattern: str
    component: str | None = None


class Select(_Model):
    """Which rows a rule looks at: an event kind (or a fallback kind) and flags that must hold."""

    kind: str | None = None
    otherwise: str | None = None
    where: tuple[str, ...] = ()
    within: str | None = None


class Cause(_Model):
    name: str
    when: tuple[str, ...] = ()
    doc: str = ""


class _Rule(_Model):
    id: str = ""
    title: str = ""
    measure: str = ""
    unit: str = ""


class FollowedBy(_Rule):
    kind: Literal["followed_by"]
    each: Select
    by: Select
    window: tuple[str, str]
    instead: Select | None = None  # an answer that settles the case as failed before the deadline
    need: str = "100%"
    latency: bool = False


class NoneOf(_Rule):
    kind: Literal["none"]
    table: Literal["decisions", "meals"]
    each: Select
    bad: Select


class AtLeast(_Rule):
    kind: Literal["at_least"]
    table: Literal["decisions", "meals"]
    each: Select
    need: int = 1


class StopsAfter(_Rule):
    kind: Literal["stops_after"]
    each: Select
    after: Select
    grace: str
    unless: Select | None = None


class LongestRun(_Rule):
    kind: Literal["longest_run"]
    each: Select
    max_gap: str
    answer: Select | None = None
    breaks: tuple[str, ...] = ()
    need_duration: str


class Rate(_Rule):
    kind: Literal["rate"]
    each: Select
    per: str = "1m"
    max: float | None = None
    min: float | None = None


class AllOf(_Rule):
    kind: Literal["all_of"]
    checks: tuple["Rule", ...]


Rule = Annotated[Union[FollowedBy, NoneOf, AtLeast, StopsAfter, LongestRun, Rate, AllOf], Field(discriminator="kind")]
AllOf.model_rebuild()


class Liveness(_Model):
    alive: tuple[str, ...]
    gone: tuple[str, ...]
    connect: tuple[str, ...]
    decisions: dict[Literal["sent", "skipped"], str]


class Verdict(_Model):
    bug_cause: str
    all_pass: tuple[str, ...]


class PackModel(_Model):
    pack: str
    version: int = 1
    title: str
    description: str = ""
    parameters: dict[str, Param]
    vocabulary: dict[Literal["ios", "backend"], dict[str, tuple[str | Pattern, ...]]]
    context: tuple[str, ...] = ()
    attach: dict[str, str] = {}
    liveness: Liveness
    causes: tuple[Cause, ...]
    criteria: tuple[Rule, ...]
    discriminating: Rule
    verdict: Verdict
    notes: tuple[str, ...] = ()


class Pack:
    """A loaded pack: the typed model plus resolved parameters and compiled vocabulary."""

    def __init__(self, model: PackModel, path: Path, sha256: str, overrides: dict[str, str] | None = None):
        self.model = model
        self.path = path
        self.sha256 = sha256
        self.name = model.pack
        self.params = {k: durations.parse_duration(p.value) for k, p in model.parameters.items()}
        for key, value in (overrides or {}).items():
            if key not in self.params:
                raise PackError([f"--set {key}: the pack {self.name} has no parameter {key!r} (it has {', '.join(self.params)})"])
            try:
                self.params[key] = durations.parse_duration(value)
            except ValueError as exc:
                raise PackError([f"--set {key}={value}: {exc}"]) from None
        self.overrides = dict(overrides or {})
        self._patterns: dict[str, list[tuple[str, str, str | None]]] = {}

    def seconds(self, expr: str) -> float:
        """Evaluate a duration expression against this pack's parameters."""
        return durations.evaluate(expr, self.params)

    def patterns(self, stream: str) -> list[tuple[str, str, str | None]]:
        """(kind, regex, component) in priority order for a stream; ``{id}`` expanded."""
        if stream in self._patterns:
            return self._patterns[stream]
        out = self._patterns[stream] = []
        for kind, entries in self.model.vocabulary.get(stream, {}).items():
            for entry in entries:
                pat, comp = (entry, None) if isinstance(entry, str) else (entry.pattern, entry.component)
                out.append((kind, "(?i)" + pat.replace("{id}", ID), comp))
        return out

    def kinds(self) -> list[str]:
        return [k for s in STREAMS for k in self.model.vocabulary.get(s, {})]

    def read_kinds(self) -> set[str]:
        """Kinds the pack names outside its vocabulary (liveness, decisions, rules, notes aside)."""
        named: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, str):
                named.add(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, (list, tuple, set)):
                for v in value:
                    walk(v)

        walk(self.model.model_dump(exclude={"vocabulary", "notes"}))
        return named & set(self.kinds())


_SELECTORS = ("each", "by", "after", "unless", "answer", "bad", "instead")


def selectors(rule: Any) -> list[tuple[str, Select]]:
    """The (field name, selector) pairs of one rule, not of its sub-checks."""
    return [(name, sel) for name in _SELECTORS if (sel := getattr(rule, name, None)) is not None]


def all_rules(pack_model: "PackModel") -> list[Any]:
    """Every rule of a pack, sub-checks of ``all_of`` included."""
    out: list[Any] = []
    todo = [*pack_model.criteria, pack_model.discriminating]
    while todo:
        rule = todo.pop(0)
        out.append(rule)
        todo.extend(getattr(rule, "checks", ()) or ())
    return out


def resolve_pack_path(name_or_path: str | Path) -> Path:
    """A shipped pack by name (``ws-registry``) or a YAML file path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise PackError([f"{path}: no such pack file"])
        return path
    shipped = data_dir("rules") / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise PackError([f"no pack named {name_or_path!r}; shipped packs: {', '.join(list_packs())}"])
    return shipped


def list_packs() -> list[str]:
    """Names of the packs shipped with logcheck."""
    return sorted(p.stem for p in data_dir("rules").glob("*.yaml") if p.stem != "formats")


def load_pack(name_or_path: str | Path = "ws-registry", overrides: dict[str, str] | None = None) -> Pack:
    """Load, validate and return a pack; raise PackError with every problem, located."""
    path = resolve_pack_path(name_or_path)
    model, sha = _load_model(path.resolve())
    return Pack(model, path, sha, overrides)


@functools.cache
def _load_model(path: Path) -> tuple[PackModel, str]:
    problems = validate_pack(path)
    if problems:
        raise PackError(problems)
    located = load_yaml(path)
    return PackModel.model_validate(located.data), hashlib.sha256(path.read_bytes()).hexdigest()


def validate_pack(path: Path) -> list[str]:
    """Every problem in a pack file, each ``file:line:col: message``; empty when it is sound."""
    try:
        located = load_yaml(path)
    except PackError as exc:
        return exc.problems
    try:
        model = PackModel.model_validate(located.data)
    except ValidationError as exc:
        return [f"{_where(located, e['loc'])}: {_describe(e)}" for e in exc.errors()]
    return _check_references(model, located)


def regex_problem(regex: str) -> str | None:
    """Why polars' (Rust) engine, which parses the logs, rejects ``regex``; None if it takes it."""
    try:
        pl.Series([""]).str.contains(regex)
    except Exception as exc:  # polars reports bad regexes as ComputeError
        return _regex_error(exc)
    return None


def _regex_error(exc: Exception) -> str:
    """The engine's own reason (``unclosed group``), not its banner."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip().startswith("error:")]
    return lines[-1].removeprefix("error:").strip() if lines else str(exc).strip().splitlines()[0]


def _where(located: Located, loc: tuple) -> str:
    # pydantic puts a union's tag in the path; walk the data and skip what is not in it.
    data, real = located.data, []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data, real = data[part], real + [part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data, real = data[part], real + [part]
    return located.where(tuple(real))


def _describe(error: dict) -> str:
    field = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
    msg = error["msg"]
    if error["type"] == "union_tag_invalid":
        msg = f"unknown rule kind; use one of {error['ctx']['expected_tags']}"
    return f"{field}: {msg}" if field else msg


def _check_references(model: PackModel, located: Located) -> list[str]:
    problems: list[str] = []
    kinds = {k for s in model.vocabulary.values() for k in s}
    params = {k: durations.parse_duration(p.value) for k, p in model.parameters.items()}

    for stream, entries in model.vocabulary.items():
        for kind, pats in entries.items():
            for i, entry in enumerate(pats):
                pat = entry if isinstance(entry, str) else entry.pattern
                if (why := regex_problem("(?i)" + pat.replace("{id}", ID))) is not None:
                    problems.append(f"{located.where(('vocabulary', stream, kind, i))}: bad regex for {kind}: {why}")
    # context patterns are also tried as one alternation: each must be a regex of its own
    for i, pat in enumerate(model.context):
        if (why := regex_problem("(?i)" + pat)) is not None:
            problems.append(f"{located.where(('context', i))}: bad regex: {why}")

    def check_kind(value: str | None, loc: tuple) -> None:
        if value is not None and value not in kinds:
            problems.append(f"{_where(located, loc)}: unknown event kind {value!r}")

    def check_duration(expr: str, loc: tuple) -> None:
        try:
            durations.evaluate(expr, params)
        except ValueError as exc:
            problems.append(f"{_where(located, loc)}: {exc}")

    def walk(rule: Any, loc: tuple) -> None:
        for name, sel in selectors(rule):
            check_kind(sel.kind, loc + (name, "kind"))
            check_kind(sel.otherwise, loc + (name, "otherwise"))
            if sel.within:
                check_duration(sel.within, loc + (name, "within"))
        for name in ("grace", "max_gap", "need_duration", "per"):
            if getattr(rule, name, None) is not None:
                check_duration(getattr(rule, name), loc + (name,))
        for i, w in enumerate(getattr(rule, "window", ()) or ()):
            check_duration(w, loc + ("window", i))
        for i, b in enumerate(getattr(rule, "breaks", ()) or ()):
            check_kind(b, loc + ("breaks", i))
        for i, sub in enumerate(getattr(rule, "checks", ()) or ()):
            walk(sub, loc + ("checks", i))

    ids = [c.id for c in model.criteria]
    for i, crit in enumerate(model.criteria):
        if not crit.id:
            problems.append(f"{_where(located, ('criteria', i))}: a criterion needs an id")
        walk(crit, ("criteria", i))
    walk(model.discriminating, ("discriminating",))
    for i, cid in enumerate(model.verdict.all_pass):
        if cid not in ids:
            problems.append(f"{_where(located, ('verdict', 'all_pass', i))}: no criterion {cid!r}")
    for group in ("alive", "gone", "connect"):
        for i, k in enumerate(getattr(model.liveness, group)):
            check_kind(k, ("liveness", group, i))
    for key, k in model.liveness.decisions.items():
        check_kind(k, ("liveness", "decisions", key))
    return problems

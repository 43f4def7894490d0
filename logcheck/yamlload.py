"""Strict YAML loading that remembers where every value came from.

Pack and format errors must name file, line and column. PyYAML's composed node tree carries
those marks; we build plain Python values from it and keep a map from each value's path
(``("criteria", 2, "within")``) to its location.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PackError


@dataclass
class Located:
    """Plain data loaded from YAML plus the location of every key and item."""

    path: Path
    data: Any
    marks: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: tuple) -> str:
        """``file:line:col`` of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc and loc not in self.marks:
            loc = loc[:-1]
        line, col = self.marks.get(loc, (1, 1))
        return f"{self.path}:{line}:{col}"


# libyaml's composer where PyYAML was built with it (the wheels are): a pack and the formats are
# 550 nodes, a quarter of a second for the pure-Python one on every run (3 ms here); nodes carry
# the same marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Located:
    """Load ``path``; duplicate keys and syntax errors raise PackError with their location."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PackError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        try:
            node = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:      # the pure-Python parser names what it found (a tab, an alias)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PackError([f"{where}: YAML syntax: {getattr(exc, 'problem', exc)}"]) from None
    located = Located(Path(path), None)
    problems: list[str] = []
    construct = yaml.SafeLoader("").construct_object     # one per file, not one per node
    located.data = _build(node, (), located, problems, construct) if node is not None else {}
    if problems:
        raise PackError(problems)
    return located


def _build(node: yaml.Node, loc: tuple, out: Located, problems: list[str], construct: Callable[[yaml.Node], Any]) -> Any:
    out.marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = construct(key_node)
            if key in result:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(f"{out.path}:{line}:{col}: duplicate key {key!r}")
                continue
            out.marks[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _build(value_node, loc + (key,), out, problems, construct)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, loc + (i,), out, problems, construct) for i, item in enumerate(node.value)]
    return construct(node)

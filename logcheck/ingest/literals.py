"""What a regex's text tells without running it: the literal text it cannot match without (a
cheap prefilter for classification), and whether its ids can be read without captures.

``required_literal("ping from user (?P<user>...) - connection refreshed")`` is
``" - connection refreshed"``: any line the regex matches contains it. Only the top level of the
pattern is read (groups are skipped whole), a character followed by ``?``, ``*`` or ``{0,...}``
is optional and dropped, and a top-level ``|`` means there is no single required literal.
"""
from __future__ import annotations

import functools

from ..packs import ID, ID_CHARS

_ESCAPED_LITERALS = set(".()[]{}*+?|^$\\/-:= '\"#")
_MIN = 4


@functools.cache
def required_literal(pattern: str) -> str | None:
    """The longest literal piece every match contains (lowercase), or None."""
    p = pattern.removeprefix("(?i)")
    pieces: list[str] = []
    cur: list[str] = []
    depth, i = 0, 0

    def cut() -> None:
        if cur:
            pieces.append("".join(cur))
            cur.clear()

    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            nxt = p[i + 1]
            if depth == 0:
                if nxt in _ESCAPED_LITERALS:
                    cur.append(nxt)
                else:
                    cut()
            i += 2
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                cut()
        elif c == ")":
            depth -= 1
        elif depth == 0:
            if c == "|":
                return None
            if c in "?*" or (c == "{" and p[i + 1:i + 3].startswith("0")):
                if cur:
                    cur.pop()          # the character before was optional
                cut()
            elif c in ".[]{}+^$":
                if c == "[":
                    cut()
                    i = p.index("]", i + 1) if "]" in p[i + 1:] else len(p)
                cut()
            else:
                cur.append(c)
        elif c == "[":
            i = p.index("]", i + 1) if "]" in p[i + 1:] else len(p)
        i += 1
    cut()
    best = max(pieces, key=len, default="")
    return best.lower() if len(best) >= _MIN else None


@functools.cache
def id_groups(pattern: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The names of ``pattern``'s groups, in order: those every match fills, and those in an
    optional ``(?:...)?`` of literals; None unless each is the pack's ``(?P<name>{id})`` right
    after a literal character no id contains (or at a ``^`` start), outside any alternation or
    repetition.

    Then, in a message the pattern matches, each group it fills starts where an id starts that no
    earlier id-shaped text runs into, and an id has one length where it starts: when the message
    holds as many id-shaped pieces as the pattern has groups every match fills, those pieces are
    their values, in order, and the optional groups are empty."""
    body, names = pattern.removeprefix("(?i)"), []
    while (at := body.find("(?P<")) >= 0:
        name = body[at + 4:body.find(">", at)]
        group = f"(?P<{name}>{ID})"
        if not body.startswith(group, at):
            return None
        names.append(name)
        body = body[:at] + "\x00" + body[at + len(group):]
    if not names:
        return None
    needed, optional, inner = [], [], []      # inner: the groups in the () being read
    depth, prev, i, k, alt = 0, None, 0, 0, False   # prev: the literal character before; k: the next name
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            prev = body[i + 1] if body[i + 1] in _ESCAPED_LITERALS else None
            i += 2
            continue
        if c == "\x00":
            if depth > 1 or body[i + 1:i + 2] in ("?", "*", "+", "{") or not prev or prev in ID_CHARS:
                return None
            (inner if depth else needed).append(names[k])
            k += 1
        elif c == "[":
            i = body.index("]", i + 1) if "]" in body[i + 1:] else len(body)
        elif c == "(":
            depth += 1
            if depth == 1 and body.startswith("?:", i + 1):
                i += 2          # a plain group: what follows is its text
        elif c == ")":
            depth -= 1
            if depth == 0 and inner:
                follows = body[i + 1:i + 2]
                if alt or follows in ("*", "+", "{"):
                    return None
                (optional if follows == "?" else needed).extend(inner)
            if depth == 0:
                inner, alt = [], False
        elif c == "|":
            if depth == 0:
                return None
            alt = alt or depth == 1
        prev = c if c not in "()[]{}|?*+.$\x00" else None
        i += 1
    return tuple(needed), tuple(optional)

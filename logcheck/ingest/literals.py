"""The literal text a regex cannot match without: a cheap prefilter for classification.

``required_literal("ping from user (?P<user>...) - connection refreshed")`` is
``" - connection refreshed"``: any line the regex matches contains it. Only the top level of the
pattern is read (groups are skipped whole), a character followed by ``?``, ``*`` or ``{0,...}``
is optional and dropped, and a top-level ``|`` means there is no single required literal.
"""
from __future__ import annotations

import functools

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

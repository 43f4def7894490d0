"""A pack in words, for ``logcheck rules explain``."""
from __future__ import annotations

from ..durations import format_duration
from ..packs import AllOf, AtLeast, FollowedBy, LongestRun, NoneOf, Pack, Rate, StopsAfter


def describe(rule, pack: Pack) -> str:
    """One sentence for a rule of any kind."""
    where = lambda sel: f" where {' and '.join(sel.where)}" if sel.where else ""  # noqa: E731
    if isinstance(rule, FollowedBy):
        each = rule.each.kind + (f" (else {rule.each.otherwise})" if rule.each.otherwise else "")
        lo, hi = (format_duration(pack.seconds(w)) for w in rule.window)
        text = f"every {each}{where(rule.each)} is followed by {rule.by.kind} for the same user within [{lo}, {hi}]; need {rule.need}"
        return text + (f"; {rule.instead.kind} in the window settles it as failed" if rule.instead else "")
    if isinstance(rule, NoneOf):
        return f"no {rule.table} row{where(rule.bad)} among those{where(rule.each)}"
    if isinstance(rule, AtLeast):
        return f"at least {rule.need} {rule.table} row(s){where(rule.each)}"
    if isinstance(rule, StopsAfter):
        unless = f" unless {rule.unless.kind} came in between" if rule.unless else ""
        return (f"no {rule.each.kind} later than {format_duration(pack.seconds(rule.grace))} after "
                f"{rule.after.kind} for the same user{unless}")
    if isinstance(rule, LongestRun):
        return (f"some run of {rule.each.kind} lasts {format_duration(pack.seconds(rule.need_duration))} with gaps at most "
                f"{format_duration(pack.seconds(rule.max_gap))}, broken by {', '.join(rule.breaks) or 'nothing'}"
                + (" or an unanswered ping" if rule.answer else ""))
    if isinstance(rule, Rate):
        bounds = [f"at most {rule.max:g}" if rule.max is not None else "", f"at least {rule.min:g}" if rule.min is not None else ""]
        return (f"{rule.each.kind}{where(rule.each)} per user per {format_duration(pack.seconds(rule.per))} is "
                + " and ".join(b for b in bounds if b))
    if isinstance(rule, AllOf):
        return "all of: " + "; ".join(describe(c, pack) for c in rule.checks)
    return rule.kind


def explain_pack(pack: Pack) -> str:
    m = pack.model
    out = [f"{m.pack} v{m.version}: {m.title}", "", m.description.strip(), "", "parameters:"]
    out += [f"  {k} = {format_duration(pack.params[k])}  {p.doc}" for k, p in m.parameters.items()]
    out += ["", "vocabulary:"]
    for stream, kinds in m.vocabulary.items():
        out.append(f"  {stream}: " + ", ".join(f"{k} ({len(v)})" for k, v in kinds.items()))
    out += ["", "causes of a skipped decision (first that holds):"]
    out += [f"  {c.name}: when {' and '.join(c.when) or 'nothing else holds'} - {c.doc}" for c in m.causes]
    out += ["", "criteria:"]
    out += [f"  {c.id} {c.title}\n      {describe(c, pack)}" for c in m.criteria]
    out += ["", f"discriminating evidence: {describe(m.discriminating, pack)}",
            "", "verdict: bug_present (exit 1) when a decision has cause "
            f"{m.verdict.bug_cause}; criteria_failed (1) when one of {', '.join(m.verdict.all_pass)} fails; "
            "fix_verified (0) when all pass with discriminating evidence; else inconclusive (3)."]
    if m.notes:
        out += ["", "decisions where the spec is silent:"] + [f"  - {n}" for n in m.notes]
    return "\n".join(out)

"""The numeric core of the boundary proposal: choose pieces to add or remove, with the least changed area.

Problem
-------
A zone has industrial area ``I`` over a denominator ``D`` (construction land plus undecided area, or the
zone area: the R1 worst case) and fails ``I ≥ t·D``. Candidate ``k`` changes ``I`` by ``dI_k`` and ``D``
by ``dD_k`` (taking in industrial land of area ``b``: ``+b, +b``; leaving out non-industrial land of area
``a``: ``0, −a``) and costs its area. Choose ``x_k ∈ {0, 1}`` to

    minimise Σ area_k·x_k   subject to   I + Σ dI_k·x_k ≥ t·(D + Σ dD_k·x_k)   and   feasible(x),

where ``feasible`` is a geometric test (one piece, no new holes) the program cannot express linearly.

Exact method (at most ``max_exact_candidates`` candidates): an integer program solved with OR-Tools
CP-SAT. ``t`` is written as a fraction ``p/q ≥ t`` and the constraint as ``Σ (q·dI_k − p·dD_k)·x_k ≥
p·D − q·I``; areas are in units of ``unit_m2`` (default 1 cm²), the left-hand coefficients rounded down
and the right-hand side rounded up, so every integer solution satisfies the real constraint (a solution
feasible only by less than one unit can be missed: optimal to the unit). Each solution is tested with
``feasible``; an infeasible one is cut off by a no-good cut (``Σ_{k∈S}(1−x_k) + Σ_{k∉S} x_k ≥ 1``,
which removes exactly that choice) and the program solved again, at most ``max_cuts`` times. The answer is
then optimal among all feasible choices of the candidates.

Heuristic (more candidates, the cut limit reached, or no solver answer): greedy. While the target is not
reached: among the candidates whose addition keeps ``feasible``, take the smallest that reaches the target
alone, or else the one with the largest gain per m² changed (leaving out gains ``t`` per m², taking in
``1 − t``; ties: the larger area, then the earlier candidate). Then drop chosen candidates, largest first,
while the target is still reached and ``feasible`` holds. Not optimal in general (the tests show a case).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from geo.errors import ProfileError
from geo.profile import RuleProfile

__all__ = ["ProposalRule", "Selection", "greedy_selection", "select_pieces", "solve_exact"]

Feasible = Callable[[frozenset[int]], bool]


@dataclass(frozen=True)
class ProposalRule:
    """Parameters of the proposal (``[rules."R1.proposal"]``)."""

    rule_id: str
    title: str
    source: str
    max_exact_candidates: int
    time_limit_s: float
    max_cuts: int
    min_piece_m2: float
    min_contact_m: float
    area_unit_m2: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R1.proposal") -> ProposalRule:
        """Build the parameters from a profile; raise :class:`ProfileError` for missing or bad values."""
        p = profile.rule(rule_id)
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                max_exact_candidates=int(p.get("max_exact_candidates", 300)),
                time_limit_s=float(p.get("time_limit_s", 20.0)),
                max_cuts=int(p.get("max_cuts", 60)),
                min_piece_m2=float(p.get("min_piece_m2", 1.0)),
                min_contact_m=float(p.get("min_contact_m", 1.0)),
                area_unit_m2=float(p.get("area_unit_m2", 1e-4)),
            )
        except KeyError as exc:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] lacks {exc.args[0]!r}'
            raise ProfileError(msg) from exc
        if rule.area_unit_m2 <= 0 or rule.time_limit_s <= 0:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] area_unit_m2 and time_limit_s must be > 0'
            raise ProfileError(msg)
        return rule


@dataclass(frozen=True)
class Selection:
    """The chosen candidates and how they were found.

    ``method``: ``optimal`` (CP-SAT proved it, after ``n_cuts`` cuts), ``best found`` (CP-SAT time limit:
    feasible, not proven optimal), ``greedy`` (the stated heuristic), ``none`` (nothing reaches the
    target). ``note`` says why a method was used.
    """

    chosen: tuple[int, ...]
    method: str
    note: str
    n_cuts: int
    reaches_target: bool


def _fraction_at_least(t: float) -> Fraction:
    f = Fraction(t).limit_denominator(10_000)
    while f < Fraction(t):
        f += Fraction(1, f.denominator)
    return f


def _reaches(chosen: frozenset[int] | set[int], gains: Sequence[float], need: float) -> bool:
    return sum(gains[k] for k in chosen) >= need - 1e-9 * max(1.0, abs(need))


def solve_exact(
    d_ind_m2: Sequence[float],
    d_den_m2: Sequence[float],
    cost_m2: Sequence[float],
    *,
    industrial_m2: float,
    denominator_m2: float,
    threshold: float,
    feasible: Feasible,
    unit_m2: float = 1e-4,
    time_limit_s: float = 20.0,
    max_cuts: int = 60,
) -> Selection | None:
    """Solve the selection exactly with CP-SAT and no-good cuts; None when the cut limit is reached.

    Examples
    --------
    Need 0.6·100 − 40 = 20: leaving out 25 and 10 m² gains 15 + 6 = 21 for 35 m² changed; taking in 50 m²
    gains 20 but changes 50 m².

    >>> s = solve_exact([0, 0, 50], [-25, -10, 50], [25, 10, 50], industrial_m2=40, denominator_m2=100,
    ...                 threshold=0.6, feasible=lambda c: True)
    >>> s.chosen, s.method
    ((0, 1), 'optimal')
    """
    from ortools.sat.python import cp_model

    f = _fraction_at_least(threshold)
    p, q = f.numerator, f.denominator
    n = len(cost_m2)
    coef = [math.floor((q * d_ind_m2[k] - p * d_den_m2[k]) / unit_m2) for k in range(n)]
    rhs = math.ceil((p * denominator_m2 - q * industrial_m2) / unit_m2)
    costs = [round(c / unit_m2) for c in cost_m2]
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{k}") for k in range(n)]
    model.Add(sum(c * v for c, v in zip(coef, x, strict=True)) >= rhs)
    model.Minimize(sum(c * v for c, v in zip(costs, x, strict=True)))
    for cuts in range(max_cuts + 1):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = 1  # deterministic
        status = solver.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            why = (
                "no choice of the candidates reaches the threshold"
                if status == cp_model.INFEASIBLE
                else f"CP-SAT ended with status {solver.StatusName(status)}"
            )
            note = why + (f" among the shapes left after {cuts} cut(s)" if cuts else "")
            return Selection((), "none", note, cuts, False)
        chosen = frozenset(k for k in range(n) if solver.Value(x[k]))
        if feasible(chosen):
            method = "optimal" if status == cp_model.OPTIMAL else "best found"
            note = (
                f"CP-SAT, {n} candidates, {cuts} cut(s) for shapes that were not one piece or had new holes"
                + (
                    ""
                    if method == "optimal"
                    else f"; time limit {time_limit_s:g} s reached, not proven optimal"
                )
            )
            return Selection(tuple(sorted(chosen)), method, note, cuts, True)
        model.AddBoolOr([x[k].Not() for k in chosen] + [x[k] for k in range(n) if k not in chosen])
    return None


def greedy_selection(
    d_ind_m2: Sequence[float],
    d_den_m2: Sequence[float],
    cost_m2: Sequence[float],
    *,
    industrial_m2: float,
    denominator_m2: float,
    threshold: float,
    feasible: Feasible,
) -> Selection:
    """The stated greedy heuristic (see the module docstring).

    Examples
    --------
    The case of :func:`solve_exact`: the only candidate that reaches the target alone is taken (50 m²
    changed where 35 m² would do).

    >>> s = greedy_selection([0, 0, 50], [-25, -10, 50], [25, 10, 50], industrial_m2=40, denominator_m2=100,
    ...                      threshold=0.6, feasible=lambda c: True)
    >>> s.chosen, s.method
    ((2,), 'greedy')
    """
    t = threshold
    gains = [d_ind_m2[k] - t * d_den_m2[k] for k in range(len(cost_m2))]
    need = t * denominator_m2 - industrial_m2
    chosen: set[int] = set()
    while not _reaches(chosen, gains, need):
        open_ = [
            k
            for k in range(len(gains))
            if k not in chosen and gains[k] > 0 and feasible(frozenset(chosen | {k}))
        ]
        if not open_:
            return Selection(
                tuple(sorted(chosen)),
                "none",
                "greedy: no candidate left that keeps one piece "
                "without new holes, and the threshold is not reached",
                0,
                False,
            )
        done = [k for k in open_ if _reaches(chosen | {k}, gains, need)]
        pick = (
            min(done, key=lambda k: (cost_m2[k], k))
            if done
            else max(open_, key=lambda k: (gains[k] / cost_m2[k] if cost_m2[k] else math.inf, cost_m2[k], -k))
        )
        chosen.add(pick)
    for k in sorted(chosen, key=lambda k: (-cost_m2[k], k)):
        rest = chosen - {k}
        if rest and _reaches(rest, gains, need) and feasible(frozenset(rest)):
            chosen = rest
    return Selection(tuple(sorted(chosen)), "greedy", "greedy heuristic (not optimal in general)", 0, True)


def select_pieces(
    d_ind_m2: Sequence[float],
    d_den_m2: Sequence[float],
    cost_m2: Sequence[float],
    *,
    industrial_m2: float,
    denominator_m2: float,
    threshold: float,
    feasible: Feasible,
    rule: ProposalRule,
) -> Selection:
    """Choose candidates: exact (CP-SAT) up to ``rule.max_exact_candidates``, else the greedy heuristic."""
    kw = {
        "industrial_m2": industrial_m2,
        "denominator_m2": denominator_m2,
        "threshold": threshold,
        "feasible": feasible,
    }
    n = len(cost_m2)
    if n <= rule.max_exact_candidates:
        exact = solve_exact(
            d_ind_m2,
            d_den_m2,
            cost_m2,
            unit_m2=rule.area_unit_m2,
            time_limit_s=rule.time_limit_s,
            max_cuts=rule.max_cuts,
            **kw,
        )
        if exact is not None:
            return exact
        why = f"{rule.max_cuts} cuts reached without a shape that is one piece without new holes"
    else:
        why = f"{n} candidates > {rule.max_exact_candidates}, the limit for the exact method"
    g = greedy_selection(d_ind_m2, d_den_m2, cost_m2, **kw)
    return Selection(g.chosen, g.method, f"{g.note}; used because {why}", g.n_cuts, g.reaches_target)

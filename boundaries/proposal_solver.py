"""The numeric core of the boundary proposal: choose pieces to add or remove, with the least changed area.

Problem
-------
A zone has industrial area ``I`` over a denominator ``D`` (construction land plus undecided area, or the
zone area: the R1 worst case) and fails ``I ≥ t·D``. Candidate ``k`` changes ``I`` by ``dI_k`` and ``D``
by ``dD_k`` (taking in industrial land of area ``b``: ``+b, +b``; leaving out non-industrial land of area
``a``: ``0, −a``) and costs its area. Choose ``x_k ∈ {0, 1}`` to

    minimise Σ area_k·x_k [+ w·max(0, ΔP(x))]   subject to   I + Σ dI_k·x_k ≥ t·(D + Σ dD_k·x_k),
    the linking constraints, and feasible(x),

where ``ΔP`` is the growth of the boundary length (optional, weight ``w`` m² per m, :class:`BoundaryTerms`)
and ``feasible`` a geometric test (one piece, no new holes) the program cannot express linearly.

Exact method (at most ``max_exact_candidates`` candidates): an integer program solved with OR-Tools
CP-SAT. ``t`` is written as a fraction ``p/q ≥ t`` and the constraint as
``Σ (q·dI_k − p·dD_k)·x_k ≥ p·D − q·I``; areas are in units of ``unit_m2`` (default 1 cm²), the
left-hand coefficients rounded down and the right-hand side rounded up, so every integer solution
satisfies the real constraint (a solution feasible only by less than one unit can be missed). CP-SAT
stops when its answer is within ``optimality_gap_m2`` (default 1 m²) of its lower bound — closing the
last square centimetres can take minutes — and the proven gap is reported.

A candidate that does not share boundary with the zone (ring 2 and beyond) goes only with at least one of
its neighbours (else it would leave a hole or take in an island): a linking constraint. Each solution is
tested with ``feasible``; an infeasible one is cut off by the cuts ``explain`` derives from the failure (a
new hole: not all it is made of unless a piece bordering it goes too; a part cut off: not all that cut
it off unless something joins it again), else by a no-good cut (``Σ_{k∈S}(1−x_k) + Σ_{k∉S} x_k ≥ 1``,
which removes exactly that choice), and the program is solved again, at most ``max_cuts`` times within
``time_limit_s`` in all. Linking constraints and cuts only remove infeasible choices, so the answer is
optimal among all feasible choices of the candidates.

Heuristic (more candidates, the cut or time limit reached): greedy. While the target is not reached:
among the candidates whose addition keeps ``feasible`` (and whose link is met), take the smallest that
reaches the target alone, or else the one with the largest gain per m² changed (leaving out gains ``t``
per m², taking in ``1 − t``; ties: the larger area, then the earlier candidate). Then drop chosen
candidates, largest first, while the target is still reached and the shape stays feasible. It ignores
the boundary weight and is not optimal in general (the tests show a case).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from geo.errors import ProfileError
from geo.profile import RuleProfile

__all__ = ["BoundaryTerms", "ProposalRule", "Selection", "greedy_selection", "select_pieces", "solve_exact"]

Feasible = Callable[[frozenset[int]], bool]
#: For a failed choice, constraints ``(neg, pos)`` meaning ``Σ_neg (1 − x) + Σ_pos x ≥ 1``.
Explain = Callable[[frozenset[int]], list[tuple[list[int], list[int]]]]


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
    removal_depth: int = 1
    addition_depth: int = 1
    optimality_gap_m2: float = 1.0
    boundary_weight_m2_per_m: float = 0.0
    min_width_m: float = 0.0

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
                removal_depth=int(p.get("removal_depth", 1)),
                addition_depth=int(p.get("addition_depth", 1)),
                optimality_gap_m2=float(p.get("optimality_gap_m2", 1.0)),
                boundary_weight_m2_per_m=float(p.get("boundary_weight_m2_per_m", 0.0)),
                min_width_m=float(p.get("min_width_m", 0.0)),
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
    gap_m2: float | None = None


@dataclass(frozen=True)
class BoundaryTerms:
    """The change of the zone's boundary length for a choice, as linear terms plus pair corrections.

    ``ΔP = Σ_k linear_m[k]·x_k + Σ_(k,l,c) c·x_k·x_l`` (metres). The objective adds
    ``weight_m2_per_m · max(0, ΔP)``: a longer, more ragged boundary costs like changed area; a shorter one
    earns nothing.
    """

    linear_m: tuple[float, ...]
    pairs: tuple[tuple[int, int, float], ...]
    weight_m2_per_m: float

    def delta_m(self, chosen: frozenset[int] | set[int]) -> float:
        """Return ΔP for a choice (metres)."""
        lin = sum(self.linear_m[k] for k in chosen)
        return lin + sum(c for k, j, c in self.pairs if k in chosen and j in chosen)


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
    requires: Sequence[Sequence[int]] | None = None,
    explain: Explain | None = None,
    gap_m2: float = 1.0,
    boundary: BoundaryTerms | None = None,
) -> Selection | None:
    """Solve the selection exactly with CP-SAT and cuts.

    ``requires[k]``: candidates of which at least one must be chosen with ``k`` (its neighbours).
    ``boundary``: the boundary-length terms added to the objective (:class:`BoundaryTerms`).
    ``explain`` turns an infeasible choice into cuts that forbid only choices failing the same way; without
    it (or when it has none) the choice alone is cut off. ``time_limit_s`` is the budget of the whole
    solve, cuts included. Returns None when the cut limit or the time is used up before a feasible shape
    is found.

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

    n = len(cost_m2)
    model, x = _model(
        d_ind_m2,
        d_den_m2,
        cost_m2,
        industrial_m2=industrial_m2,
        denominator_m2=denominator_m2,
        threshold=threshold,
        unit_m2=unit_m2,
        requires=requires,
        boundary=boundary,
    )
    deadline = time.monotonic() + time_limit_s
    for cuts in range(max_cuts + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = left
        solver.parameters.num_workers = 1  # deterministic
        solver.parameters.absolute_gap_limit = gap_m2 / unit_m2
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            why = (
                "no choice of the candidates reaches the threshold"
                if status == cp_model.INFEASIBLE
                else f"CP-SAT ended with status {solver.status_name(status)}"
            )
            if status == cp_model.UNKNOWN:
                return None
            note = why + (f" among the shapes left after {cuts} cut(s)" if cuts else "")
            return Selection((), "none", note, cuts, False)
        chosen = frozenset(k for k in range(n) if solver.value(x[k]))
        if feasible(chosen):
            method = "optimal" if status == cp_model.OPTIMAL else "best found"
            proven = max(0.0, (solver.objective_value - solver.best_objective_bound) * unit_m2)
            note = f"CP-SAT, {n} candidates, {cuts} cut(s) for shapes that were not one piece or had new holes" + (
                f"; optimal to within {proven:.2f} m² (the solver's bound)"
                if method == "optimal"
                else f"; time limit {time_limit_s:g} s reached: not proven optimal, the bound is {proven:.2f} m² below"
            )
            return Selection(tuple(sorted(chosen)), method, note, cuts, True, proven)
        found = explain(chosen) if explain is not None else []
        for neg, pos in found or [(sorted(chosen), [k for k in range(n) if k not in chosen])]:
            model.add_bool_or([x[k].negated() for k in neg] + [x[k] for k in pos])
    return None


def _model(
    d_ind_m2: Sequence[float],
    d_den_m2: Sequence[float],
    cost_m2: Sequence[float],
    *,
    industrial_m2: float,
    denominator_m2: float,
    threshold: float,
    unit_m2: float,
    requires: Sequence[Sequence[int]] | None,
    boundary: BoundaryTerms | None,
) -> tuple[Any, list[Any]]:
    from ortools.sat.python import cp_model

    f = _fraction_at_least(threshold)
    p, q = f.numerator, f.denominator
    n = len(cost_m2)
    coef = [math.floor((q * d_ind_m2[k] - p * d_den_m2[k]) / unit_m2) for k in range(n)]
    rhs = math.ceil((p * denominator_m2 - q * industrial_m2) / unit_m2)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(n)]
    model.add(sum(c * v for c, v in zip(coef, x, strict=True)) >= rhs)
    objective = sum(round(c / unit_m2) * v for c, v in zip(cost_m2, x, strict=True))
    for k, req in enumerate(requires or ()):
        if req:
            model.add_bool_or([x[j] for j in req] + [x[k].negated()])
    if boundary is not None and boundary.weight_m2_per_m > 0:
        w = boundary.weight_m2_per_m / unit_m2
        terms = [round(w * boundary.linear_m[k]) * x[k] for k in range(n)]
        for k, j, c in boundary.pairs:
            y = model.new_bool_var(f"y{k}_{j}")
            model.add_bool_or([x[k].negated(), x[j].negated(), y])
            model.add_implication(y, x[k])
            model.add_implication(y, x[j])
            terms.append(round(w * c) * y)
        top = round(w * (sum(abs(v) for v in boundary.linear_m) + sum(abs(c) for _, _, c in boundary.pairs))) + 1
        z = model.new_int_var(0, top, "boundary_growth")
        model.add(z >= sum(terms))
        objective += z
    model.minimize(objective)
    return model, x


def greedy_selection(
    d_ind_m2: Sequence[float],
    d_den_m2: Sequence[float],
    cost_m2: Sequence[float],
    *,
    industrial_m2: float,
    denominator_m2: float,
    threshold: float,
    feasible: Feasible,
    requires: Sequence[Sequence[int]] | None = None,
) -> Selection:
    """The stated greedy heuristic (see the module docstring); ``requires`` as in :func:`solve_exact`.

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
    req = [set(r) for r in requires] if requires else [set() for _ in gains]

    def linked(c: set[int]) -> bool:
        return all(not req[k] or req[k] & c for k in c)

    chosen: set[int] = set()
    while not _reaches(chosen, gains, need):
        open_ = [
            k
            for k in range(len(gains))
            if k not in chosen
            and gains[k] > 0
            and (not req[k] or req[k] & chosen)
            and feasible(frozenset(chosen | {k}))
        ]
        if not open_:
            return Selection(
                tuple(sorted(chosen)),
                "none",
                "greedy: no candidate left that keeps one piece without new holes, and the threshold is not reached",
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
        if rest and _reaches(rest, gains, need) and linked(rest) and feasible(frozenset(rest)):
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
    requires: Sequence[Sequence[int]] | None = None,
    explain: Explain | None = None,
    boundary: BoundaryTerms | None = None,
) -> Selection:
    """Choose candidates: exact (CP-SAT) up to ``rule.max_exact_candidates``, else the greedy heuristic."""
    n = len(cost_m2)
    if n <= rule.max_exact_candidates:
        exact = solve_exact(
            d_ind_m2,
            d_den_m2,
            cost_m2,
            unit_m2=rule.area_unit_m2,
            time_limit_s=rule.time_limit_s,
            max_cuts=rule.max_cuts,
            explain=explain,
            gap_m2=rule.optimality_gap_m2,
            boundary=boundary,
            industrial_m2=industrial_m2,
            denominator_m2=denominator_m2,
            threshold=threshold,
            feasible=feasible,
            requires=requires,
        )
        if exact is not None:
            return exact
        why = f"no shape that is one piece without new holes within {rule.max_cuts} cuts and {rule.time_limit_s:g} s"
    else:
        why = f"{n} candidates > {rule.max_exact_candidates}, the limit for the exact method"
    g = greedy_selection(
        d_ind_m2,
        d_den_m2,
        cost_m2,
        industrial_m2=industrial_m2,
        denominator_m2=denominator_m2,
        threshold=threshold,
        feasible=feasible,
        requires=requires,
    )
    return Selection(g.chosen, g.method, f"{g.note}; used because {why}", g.n_cuts, g.reaches_target)

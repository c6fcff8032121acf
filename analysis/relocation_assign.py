"""Who goes where: villages assigned to relocation sites by an exact solver (R7).

The numeric core :func:`assign` needs no geometry (like spopt's ``from_cost_matrix``): populations,
capacities and a village × site cost matrix (metres). The model is a mixed-integer linear program solved
exactly (HiGHS through ``scipy.optimize.milp``, relative gap 0; deterministic):

- every village goes to one site (``allow_split=False``) or its people are divided among sites in whole
  persons (``allow_split=True``); a site used at all houses at least ``min_site_population`` people
  (seed 004 九(二十四): 5000人以上) and at most its capacity;
- a pair whose cost is not finite or exceeds ``max_cost`` is not allowed (out of reach);
- first the number of people housed is maximised (so an infeasible case still houses whom it can), then,
  with that number fixed, the total travel Σ people × cost is minimised.

Costs enter the solver as they are (no rounding). Villages left
without a site get a reason, found by checking each cause in turn: no site within reach, a village larger
than every site within reach (kept whole), not enough total capacity within reach, the minimum
community size (the model is solved again without it), villages kept whole (solved again with splitting),
or the capacity within reach taken by other villages.

>>> r = assign([3000, 3000], [10000, 10000], [[1000, 3000], [2000, 1000]], min_site_population=5000,
...            allow_split=False)
>>> r.site_of, r.total_cost
((0, 0), 9000000.0)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import DataError

__all__ = ["AssignResult", "assign"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssignResult:
    """The solution of :func:`assign` (plain Python values).

    Attributes
    ----------
    flows : tuple of (village, site, people)
        Who goes where; one row per village and site used (several per village only when split).
    site_of : tuple
        Per village, the site taking most of its people, or None when nobody of it is housed.
    unhoused : tuple of int
        Per village, the people left without a site.
    reasons : tuple
        Per village, why people are left without a site (None when all are housed).
    site_population : tuple of int
        People housed at each site (0 for a site not used).
    used : tuple of bool
        Whether each site is used.
    total_cost : float
        Σ people × cost over the flows (exact costs).
    status : str
        ``optimal`` (proven), ``feasible`` (the time limit came first) — for the problem with the
        housed count maximised.
    notes : tuple of str
        The method and the checks made.
    """

    flows: tuple[tuple[int, int, int], ...]
    site_of: tuple[int | None, ...]
    unhoused: tuple[int, ...]
    reasons: tuple[str | None, ...]
    site_population: tuple[int, ...]
    used: tuple[bool, ...]
    total_cost: float
    status: str
    notes: tuple[str, ...]

    @property
    def housed(self) -> int:
        """Return the number of people housed."""
        return int(sum(p for _, _, p in self.flows))


def _as_int(values: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    bad = ~np.isfinite(arr) | (arr < 0) | (np.abs(arr - np.round(arr)) > 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{what} must be whole non-negative numbers; item {i} is {arr[i]!r} "
            f"({int(bad.sum())} bad value(s)); round populations up and capacities down first"
        )
        raise DataError(msg)
    return np.round(arr).astype(np.int64)


@dataclass(frozen=True)
class _Solved:
    flows: dict[tuple[int, int], int]
    status: str


def _model(
    pop: np.ndarray, cap: np.ndarray, reach: np.ndarray, *, min_pop: int, split: bool
) -> dict[str, Any]:
    """Variables: x per reachable village-site pair (a 0/1 choice, or people when split), then y per site."""
    pairs = np.argwhere(reach & (pop[:, None] > 0))
    n_x, k = len(pairs), reach.shape[1]
    per = np.ones(n_x) if split else pop[pairs[:, 0]].astype(float)  # people per unit of x
    rows = np.arange(n_x)
    village = sparse.csr_matrix((np.ones(n_x), (pairs[:, 0], rows)), shape=(reach.shape[0], n_x + k))
    load = sparse.csr_matrix((per, (pairs[:, 1], rows)), shape=(k, n_x + k))
    cap_y = sparse.csr_matrix((cap.astype(float), (np.arange(k), n_x + np.arange(k))), shape=(k, n_x + k))
    min_y = sparse.csr_matrix(
        (np.full(k, float(min_pop)), (np.arange(k), n_x + np.arange(k))), shape=(k, n_x + k)
    )
    cons = [
        LinearConstraint(village, -np.inf, pop.astype(float) if split else np.ones(reach.shape[0])),
        LinearConstraint(load - cap_y, -np.inf, 0.0),
        LinearConstraint(load - min_y, 0.0, np.inf),
    ]
    upper = np.concatenate(
        [np.minimum(pop[pairs[:, 0]], cap[pairs[:, 1]]) if split else np.ones(n_x), np.ones(k)]
    )
    return {
        "pairs": pairs,
        "per": per,
        "cons": cons,
        "bounds": Bounds(0.0, upper.astype(float)),
        "n_x": n_x,
        "k": k,
    }


def _milp(
    c: np.ndarray, md: dict[str, Any], extra: list[LinearConstraint], time_limit_s: float
) -> tuple[np.ndarray, bool]:
    res = milp(
        c,
        constraints=md["cons"] + extra,
        integrality=np.ones(len(c)),
        bounds=md["bounds"],
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "presolve": True},
    )
    if res.x is None:
        msg = f"the solver found no solution in {time_limit_s} s ({res.message})"
        raise DataError(msg)
    return np.round(res.x), res.status == 0


def _solve(
    pop: np.ndarray,
    cap: np.ndarray,
    cost: np.ndarray,
    reach: np.ndarray,
    *,
    min_pop: int,
    split: bool,
    time_limit_s: float,
) -> _Solved:
    """Maximise the people housed, then minimise Σ people × cost with that number fixed (HiGHS MILP)."""
    md = _model(pop, cap, reach, min_pop=min_pop, split=split)
    n_x, k, pairs, per = md["n_x"], md["k"], md["pairs"], md["per"]
    if n_x == 0:
        return _Solved({}, "optimal")
    housed = np.concatenate([per, np.zeros(k)])
    x1, ok1 = _milp(-housed, md, [], time_limit_s)
    best = float(housed @ x1)
    travel = np.concatenate([per * cost[pairs[:, 0], pairs[:, 1]], np.zeros(k)])
    x2, ok2 = _milp(travel, md, [LinearConstraint(housed[None, :], best, best)], time_limit_s)
    flows = {
        (int(i), int(j)): round(float(p * v))
        for (i, j), p, v in zip(pairs, per, x2[:n_x], strict=True)
        if v > 0
    }
    return _Solved(flows, "optimal" if ok1 and ok2 else "feasible")


def _main_site(flows: dict[tuple[int, int], int], i: int) -> int | None:
    """Return the site taking most of village i's people (the first of equals), or None."""
    mine = sorted((-p, j) for (ii, j), p in flows.items() if ii == i)
    return mine[0][1] if mine else None


def _housed_of(flows: dict[tuple[int, int], int], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    for (i, _), p in flows.items():
        out[i] += p
    return out


def _reach_text(sites: np.ndarray, values: np.ndarray, unit: str, names: Sequence[str]) -> str:
    return ", ".join(f"site {names[int(j)]} ({int(v):,} {unit})" for j, v in zip(sites, values, strict=True))


def _diagnose(
    i: int,
    pop: np.ndarray,
    cap: np.ndarray,
    reach: np.ndarray,
    cost: np.ndarray,
    *,
    min_pop: int,
    split: bool,
    max_cost: float,
    counterfactual: dict[str, np.ndarray],
    names: Sequence[str],
) -> str:
    """Return why village i keeps people without a site (the first cause that applies)."""
    mine = np.flatnonzero(reach[i])
    near = np.flatnonzero(np.isfinite(cost[i]) & (cost[i] <= max_cost))
    if len(mine) == 0 and len(near):
        return (
            f"every site within reach is smaller than a community of {min_pop:,} residents "
            f"({_reach_text(near, cap[near], 'places', names)}) and can never be used"
        )
    if len(mine) == 0:
        finite = np.isfinite(cost[i])
        nearest = (
            f"; the nearest site is {float(np.min(cost[i][finite])):,.0f} m away" if finite.any() else ""
        )
        return f"no site within reach (maximum distance {max_cost:,.0f} m){nearest}"
    if not split and pop[i] > cap[mine].max():
        return (
            f"the village ({int(pop[i]):,} people, kept whole) is larger than every site within reach "
            f"(largest capacity {int(cap[mine].max()):,}); allow splitting villages or enlarge a site"
        )
    need = pop[reach.any(axis=1)].sum()
    places = cap[reach.any(axis=0)].sum()
    if need > places:
        return (
            f"not enough total capacity: {int(need):,} people to house, {int(places):,} places at sites "
            "within reach"
        )
    if "no_min" in counterfactual and counterfactual["no_min"][i] > 0:
        reachers = np.array([pop[reach[:, j]].sum() for j in mine])
        short = mine[reachers < min_pop]
        if len(short) == len(mine):
            return (
                f"the minimum of {min_pop:,} residents per community makes it impossible: the sites within "
                f"reach can draw only {_reach_text(mine, reachers, 'people within reach', names)}"
            )
        within = ", ".join(f"site {names[int(j)]}" for j in mine)
        return (
            f"the minimum of {min_pop:,} residents per community makes it impossible: without it the "
            f"village would be housed (sites within reach: {within})"
        )
    if "split" in counterfactual and counterfactual["split"][i] > 0:
        return (
            "villages kept whole make it impossible: it would be housed if villages could be split "
            "(allow_split)"
        )
    return (
        "not enough capacity within reach: the sites within reach "
        f"({_reach_text(mine, cap[mine], 'places', names)}) are filled by other villages"
    )


def assign(
    populations: Sequence[float],
    capacities: Sequence[float],
    cost_matrix: Sequence[Sequence[float]] | np.ndarray,
    *,
    min_site_population: int,
    allow_split: bool,
    max_cost: float = math.inf,
    time_limit_s: float = 60.0,
    site_names: Sequence[str] | None = None,
) -> AssignResult:
    """Assign villages to sites minimising Σ people × cost, each used site housing ≥ the minimum.

    Parameters
    ----------
    populations : sequence of int
        People to house per village (whole persons).
    capacities : sequence of int
        Places per site (whole persons).
    cost_matrix : array-like, shape (villages, sites)
        Cost (distance in metres) per village and site; ``inf`` or NaN where not allowed.
    min_site_population : int, keyword-only
        A site is used only with at least this many people (5000 in Henan).
    allow_split : bool, keyword-only
        Whether a village's people may go to several sites.
    max_cost : float, keyword-only
        Pairs with a larger cost are out of reach.
    time_limit_s : float, keyword-only
        Solver time limit per solve.
    site_names : sequence of str, optional, keyword-only
        Names of the sites in the reasons (default: their positions).

    Returns
    -------
    AssignResult

    Raises
    ------
    DataError
        For negative or fractional populations or capacities, or a cost matrix of the wrong shape.
    """
    pop = _as_int(populations, "populations")
    cap = _as_int(capacities, "capacities")
    cost = np.asarray(cost_matrix, dtype=float).reshape(len(pop), -1) if len(pop) else np.zeros((0, len(cap)))
    if cost.shape != (len(pop), len(cap)):
        msg = f"cost matrix has shape {cost.shape}; expected (villages, sites) = {(len(pop), len(cap))}"
        raise DataError(msg)
    reach = np.isfinite(cost) & (cost <= max_cost) & (cap[None, :] >= max(int(min_site_population), 1))
    min_pop = int(min_site_population)
    sol = _solve(pop, cap, cost, reach, split=allow_split, min_pop=min_pop, time_limit_s=time_limit_s)
    housed = _housed_of(sol.flows, len(pop))
    counter: dict[str, np.ndarray] = {}
    short = np.flatnonzero(housed < pop)
    if len(short) and min_site_population > 0:
        counter["no_min"] = _housed_of(
            _solve(pop, cap, cost, reach, split=allow_split, min_pop=0, time_limit_s=time_limit_s).flows,
            len(pop),
        )
    if len(short) and not allow_split:
        alt = _solve(pop, cap, cost, reach, split=True, min_pop=min_pop, time_limit_s=time_limit_s)
        counter["split"] = _housed_of(alt.flows, len(pop))
    names = [str(n) for n in site_names] if site_names is not None else [str(j) for j in range(len(cap))]
    reasons = tuple(
        _diagnose(
            i,
            pop,
            cap,
            reach,
            cost,
            min_pop=int(min_site_population),
            split=allow_split,
            max_cost=max_cost,
            counterfactual=counter,
            names=names,
        )
        if housed[i] < pop[i]
        else None
        for i in range(len(pop))
    )
    site_pop = np.zeros(len(cap), dtype=np.int64)
    for (_, j), p in sol.flows.items():
        site_pop[j] += p
    site_of = tuple(_main_site(sol.flows, i) for i in range(len(pop)))
    flows = tuple((i, j, int(p)) for (i, j), p in sorted(sol.flows.items()))
    notes = (
        "exact MILP (HiGHS via scipy.optimize.milp, relative gap 0): people housed maximised, then "
        "Σ people × distance minimised with that number fixed",
        f"{int(housed.sum()):,} of {int(pop.sum()):,} people housed",
    )
    return AssignResult(
        flows=flows,
        site_of=tuple(None if s is None else int(s) for s in site_of),
        unhoused=tuple(int(v) for v in pop - housed),
        reasons=reasons,
        site_population=tuple(int(v) for v in site_pop),
        used=tuple(bool(v > 0) for v in site_pop),
        total_cost=float(sum(p * cost[i, j] for i, j, p in flows)),
        status=sol.status,
        notes=notes,
    )

"""The assignment core: hand-solved cases, infeasible cases with their reasons, brute force (hypothesis)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.relocation_assign import assign
from geo.errors import DataError

INF = math.inf


def nearest_site(cost):
    return tuple(int(np.argmin(row)) for row in np.asarray(cost, dtype=float))


def test_minimum_changes_the_optimum_versus_nearest_site():
    # A (3000) is nearest to S0, B (3000) to S1; alone each site would house 3000 < 5000.
    # Both at S0: 3000×1000 + 3000×2000 = 9.0e6; both at S1: 3000×3000 + 3000×1000 = 12.0e6.
    cost = [[1000, 3000], [2000, 1000]]
    assert nearest_site(cost) == (0, 1)
    r = assign([3000, 3000], [10_000, 10_000], cost, min_site_population=5000, allow_split=False)
    assert r.site_of == (0, 0)
    assert r.total_cost == pytest.approx(9.0e6)
    assert r.site_population == (6000, 0) and r.used == (True, False)
    # without the minimum, nearest site wins: 3000×1000 + 3000×1000
    r0 = assign([3000, 3000], [10_000, 10_000], cost, min_site_population=0, allow_split=False)
    assert r0.site_of == (0, 1) and r0.total_cost == pytest.approx(6.0e6)


def test_capacity_pushes_a_village_to_its_second_site():
    # A 6000 and B 5000 both nearest to S0 (capacity 8000): one must go to S1.
    # A→S1, B→S0: 6000×1800 + 5000×1000 = 15.8e6; A→S0, B→S1: 6000×1000 + 5000×2500 = 18.5e6.
    r = assign(
        [6000, 5000], [8000, 8000], [[1000, 1800], [1000, 2500]], min_site_population=5000, allow_split=False
    )
    assert r.site_of == (1, 0)
    assert r.total_cost == pytest.approx(15.8e6)


def test_split_case_hand_solved():
    # A 8000, B 4000; two sites of 6000. Whole: A fits nowhere.
    # Split: cost = 23e6 − 1500·x_A0, so x_A0 = 6000:
    # A: 6000 → S0, 2000 → S1; B: 4000 → S1; total 6000×1000 + 2000×2000 + 4000×1000 = 14e6.
    cost = [[1000, 2000], [1500, 1000]]
    r = assign([8000, 4000], [6000, 6000], cost, min_site_population=5000, allow_split=True)
    assert sorted(r.flows) == [(0, 0, 6000), (0, 1, 2000), (1, 1, 4000)]
    assert r.total_cost == pytest.approx(14.0e6)
    assert r.unhoused == (0, 0) and r.site_population == (6000, 6000)
    whole = assign([8000, 4000], [6000, 6000], cost, min_site_population=5000, allow_split=False)
    assert whole.unhoused == (8000, 4000)
    assert "larger than every site within reach" in whole.reasons[0] and "8,000" in whole.reasons[0]
    # B alone (4000) cannot open a site of its own: the minimum is the cause
    assert "minimum of 5,000" in whole.reasons[1]


def test_not_enough_total_capacity():
    r = assign([6000, 6000], [8000], [[1000], [2000]], min_site_population=5000, allow_split=False)
    assert r.site_of == (0, None)  # equal people housed either way; the nearer village wins on travel
    assert (
        r.reasons[1]
        == "not enough total capacity: 12,000 people to house, 8,000 places at sites within reach"
    )


def test_no_site_within_reach():
    r = assign([6000], [8000], [[20_000.0]], min_site_population=5000, allow_split=False, max_cost=10_000)
    assert r.site_of == (None,)
    assert r.reasons[0] == (
        "no site within reach (maximum distance 10,000 m); the nearest site is 20,000 m away"
    )
    r2 = assign([6000], [8000], [[INF]], min_site_population=5000, allow_split=False)
    assert r2.reasons[0].startswith("no site within reach")


def test_minimum_makes_it_impossible_names_the_sites():
    # A (3000) reaches only S0, B (1000) only S1: neither site can ever reach 5000.
    r = assign(
        [3000, 1000], [8000, 8000], [[1000, INF], [INF, 500]], min_site_population=5000, allow_split=False
    )
    assert r.site_of == (None, None)
    assert "site 0 (3,000 people within reach)" in r.reasons[0]
    assert "site 1 (1,000 people within reach)" in r.reasons[1]


def test_sites_smaller_than_the_minimum_are_never_used():
    r = assign([6000], [4000], [[100.0]], min_site_population=5000, allow_split=True)
    assert r.site_of == (None,)
    assert "smaller than a community of 5,000" in r.reasons[0]


def test_bad_inputs():
    with pytest.raises(DataError, match="populations"):
        assign([10.5], [6000], [[1.0]], min_site_population=0, allow_split=False)
    with pytest.raises(DataError, match="shape"):
        assign([10], [6000, 7000], [[1.0]], min_site_population=0, allow_split=False)


def brute_force(pop, cap, cost, min_pop):
    """Every whole assignment (a site or none per village): max people housed, then min travel."""
    n, k = len(pop), len(cap)
    best = (-1, math.inf)
    for choice in itertools.product(range(-1, k), repeat=n):
        load = [0] * k
        for i, j in enumerate(choice):
            if j >= 0:
                if not math.isfinite(cost[i][j]):
                    break
                load[j] += pop[i]
        else:
            if all(load[j] == 0 or min_pop <= load[j] <= cap[j] for j in range(k)):
                housed = sum(load)
                travel = sum(pop[i] * cost[i][j] for i, j in enumerate(choice) if j >= 0)
                if housed > best[0] or (housed == best[0] and travel < best[1]):
                    best = (housed, travel)
    return best


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_matches_brute_force_on_small_cases(data):
    n = data.draw(st.integers(1, 4))
    k = data.draw(st.integers(1, 3))
    pop = data.draw(st.lists(st.integers(0, 6000), min_size=n, max_size=n))
    cap = data.draw(st.lists(st.integers(0, 12_000), min_size=k, max_size=k))
    cost = data.draw(
        st.lists(
            st.lists(st.one_of(st.integers(0, 5000), st.just(INF)), min_size=k, max_size=k),
            min_size=n,
            max_size=n,
        )
    )
    r = assign(pop, cap, cost, min_site_population=5000, allow_split=False)
    housed, travel = brute_force(pop, cap, cost, 5000)
    assert r.housed == housed
    assert r.total_cost == pytest.approx(travel if housed > 0 else 0.0)
    for j, p in enumerate(r.site_population):
        assert p == 0 or 5000 <= p <= cap[j]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_splitting_never_houses_fewer_or_travels_more(data):
    n = data.draw(st.integers(1, 4))
    k = data.draw(st.integers(1, 3))
    pop = data.draw(st.lists(st.integers(0, 8000), min_size=n, max_size=n))
    cap = data.draw(st.lists(st.integers(0, 12_000), min_size=k, max_size=k))
    cost = data.draw(st.lists(st.lists(st.integers(0, 5000), min_size=k, max_size=k), min_size=n, max_size=n))
    whole = assign(pop, cap, cost, min_site_population=5000, allow_split=False)
    split = assign(pop, cap, cost, min_site_population=5000, allow_split=True)
    assert split.housed >= whole.housed
    if split.housed == whole.housed:
        assert split.total_cost <= whole.total_cost + 1e-6
    for i, p in enumerate(pop):
        assert sum(q for ii, _, q in split.flows if ii == i) + split.unhoused[i] == p


def cp_sat_oracle(pop, cap, cost, min_pop, split):
    """The same two-phase model in OR-Tools CP-SAT (an independent exact solver), integer costs."""
    from ortools.sat.python import cp_model

    n, k = len(pop), len(cap)
    pairs = [
        (i, j)
        for i in range(n)
        for j in range(k)
        if math.isfinite(cost[i][j]) and pop[i] > 0 and cap[j] >= min_pop
    ]
    best = None
    for phase in ("housed", "travel"):
        m = cp_model.CpModel()
        if split:
            people = {(i, j): m.NewIntVar(0, min(pop[i], cap[j]), "") for i, j in pairs}
            for i in range(n):
                m.Add(sum(people[(i, j)] for j in range(k) if (i, j) in people) <= pop[i])
        else:
            z = {p: m.NewBoolVar("") for p in pairs}
            people = {(i, j): pop[i] * v for (i, j), v in z.items()}
            for i in range(n):
                m.Add(sum(z[(i, j)] for j in range(k) if (i, j) in z) <= 1)
        y = [m.NewBoolVar("") for _ in range(k)]
        for j in range(k):
            load = sum(people[(i, jj)] for (i, jj) in pairs if jj == j)
            m.Add(load <= cap[j] * y[j])
            m.Add(load >= min_pop * y[j])
        housed = sum(people.values())
        if phase == "housed":
            m.Maximize(housed)
        else:
            m.Add(housed == best)
            m.Minimize(sum(int(cost[i][j]) * people[(i, j)] for (i, j) in pairs))
        s = cp_model.CpSolver()
        s.parameters.num_workers = 8
        s.parameters.max_time_in_seconds = 20
        assert s.Solve(m) == cp_model.OPTIMAL
        if phase == "housed":
            best = round(s.ObjectiveValue())
        else:
            return best, s.ObjectiveValue()
    return None


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_agrees_with_an_independent_cp_sat_model(data):
    split = data.draw(st.booleans())
    n = data.draw(st.integers(1, 5))
    k = data.draw(st.integers(1, 3))
    pop = data.draw(st.lists(st.integers(0, 7000), min_size=n, max_size=n))
    cap = data.draw(st.lists(st.integers(0, 12_000), min_size=k, max_size=k))
    cost = data.draw(
        st.lists(
            st.lists(st.one_of(st.integers(0, 5000), st.just(INF)), min_size=k, max_size=k),
            min_size=n,
            max_size=n,
        )
    )
    r = assign(pop, cap, cost, min_site_population=5000, allow_split=split)
    housed, travel = cp_sat_oracle(pop, cap, cost, 5000, split)
    assert r.housed == housed
    assert r.total_cost == pytest.approx(travel)

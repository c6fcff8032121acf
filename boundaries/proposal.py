"""★ Boundary proposal: the smallest change of a zone's boundary that makes it pass the 60% rule.

For a zone that fails R1, :func:`propose_boundary` proposes which land to leave out at the edge and which
adjacent industrial land to take in, changing as little area as possible, such that

- the zone passes R1 in the worst case (undecided area counted against it, as in
  :func:`boundaries.industrial.judge_industrial_share`);
- nothing taken in lies in 永久基本农田 or 生态保护红线 or outside 城镇开发边界 (the control layers are
  subtracted from each candidate; without all three layers nothing is taken in, and the proposal says so);
  nothing taken in lies in another zone;
- the zone stays one piece (no more parts than before) and gains no new holes.

Candidates are land-use pieces measured by the kernel (:func:`geo.landuse.measure_landuse`):

- *leave out*: pieces inside the zone that are not industrial and count in the R1 denominator (other
  construction land or unknown codes; on the ``zone`` basis also non-construction land), sharing at least
  ``min_contact_m`` of boundary with the zone;
- *take in*: industrial pieces of the land-use features touching the zone, outside it, minus the control
  layers, each remaining part sharing at least ``min_contact_m`` of boundary with the zone.

The selection is :func:`boundaries.proposal_solver.select_pieces` (CP-SAT with cuts for shapes that are
not one piece, optimal to 1 cm² up to ``max_exact_candidates`` candidates; the stated greedy heuristic
beyond). The proposed polygon is then measured again and judged with the same functions as any zone: R1
(:func:`boundaries.industrial.judge_industrial_share`) and R2
(:func:`boundaries.constraints.check_constraints`); those re-run verdicts, not the program, are reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.conflicts import piece_classes
from boundaries.constraints import ConstraintRule, ConstraintVerdict, ControlLayers, check_constraints
from boundaries.industrial import IndustrialRule, ShareVerdict, judge_industrial_share
from boundaries.proposal_candidates import (
    OUTSIDE,
    ZoneShape,
    addition_candidates,
    boundary_terms,
    removal_candidates,
)
from boundaries.proposal_solver import ProposalRule, Selection, select_pieces
from geo.codes import CodeTable
from geo.geometry import repair_polygons
from geo.landuse import LanduseAreas, measure_landuse
from geo.qa import QALog
from geo.units import m2_to_ha, m2_to_mu

__all__ = ["JSON_KEYS", "ProposalResult", "ProposalVerdict", "propose_boundary"]

#: Features within this distance of the zone (or of industrial land taken) are its neighbours.
_REACH_M = 1e-3

#: The keys of ``devzone propose --json``, in order.
JSON_KEYS = (
    "zone_id",
    "status",
    "method",
    "changed_m2",
    "added_m2",
    "removed_m2",
    "share_before",
    "share_after",
    "passes_after",
    "constraints_pass_after",
    "rule_ids",
)


@dataclass(frozen=True)
class ProposalVerdict:
    """The proposal for one zone, with the R1 and R2 verdicts of the proposed polygon. Areas in m².

    ``status``: ``proposed``, ``not needed`` (the zone passes), ``cannot decide`` (R1 cannot be decided
    for the zone as it is), or ``no solution`` (no choice of the candidates passes).
    """

    zone_id: str
    zone_name: str
    status: str
    method: str
    method_note: str
    n_candidates: int
    n_remove_candidates: int
    n_add_candidates: int
    n_cuts: int
    removed_m2: float
    added_m2: float
    changed_m2: float
    zone_area_before_m2: float
    zone_area_after_m2: float | None
    perimeter_before_m: float
    perimeter_after_m: float | None
    share_before: float | None
    share_after: float | None
    basis: str
    threshold: float
    passes_after: bool | None
    constraints_pass_after: bool | None
    farmland_overlap_after_m2: float | None
    redline_overlap_after_m2: float | None
    outside_urban_boundary_after_m2: float | None
    one_piece: bool | None
    new_holes: int | None
    reason: str
    rule_ids: tuple[str, ...]
    source: str
    data: str
    as_of: str

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS`."""
        d = asdict(self)
        d["rule_ids"] = list(self.rule_ids)
        return {k: d[k] for k in JSON_KEYS}

    def to_row(self) -> dict[str, Any]:
        """Return every figure as a flat row, with 公顷 and 亩."""
        d = asdict(self)
        d["rule_ids"] = ", ".join(self.rule_ids)
        for k in ("removed", "added", "changed"):
            d[f"{k}_ha"], d[f"{k}_mu"] = m2_to_ha(d[f"{k}_m2"]), m2_to_mu(d[f"{k}_m2"])
        return d


@dataclass(frozen=True)
class ProposalResult:
    """A proposal: the verdict, every candidate piece (chosen or not), the polygon and the re-run verdicts."""

    verdict: ProposalVerdict
    pieces: gpd.GeoDataFrame
    polygon: gpd.GeoDataFrame
    share_before: ShareVerdict
    share_after: ShareVerdict | None
    constraints_after: ConstraintVerdict | None


def _measure(
    frame: gpd.GeoDataFrame, near: gpd.GeoDataFrame, table: CodeTable, code_field: str, rule: IndustrialRule
) -> LanduseAreas:
    return measure_landuse(
        frame,
        near,
        table=table,
        code_field=code_field,
        precedence=rule.overlap_precedence,
        layer="proposal",
        qa=QALog(),
    )


def _with_category(areas: LanduseAreas) -> gpd.GeoDataFrame:
    p = piece_classes(areas)
    meta = areas.breakdown.drop_duplicates("code").set_index("code")
    p["category"] = p["code"].map(meta["category"])
    return p


def _neighbourhood(
    landuse: gpd.GeoDataFrame, zone: Any, table: CodeTable, code_field: str, params: ProposalRule
) -> tuple[gpd.GeoDataFrame, Any]:
    """Return the land-use features the proposal looks at, and their area outside the zone.

    The features touching the zone, then, ring by ring up to ``params.addition_depth``, the industrial
    features touching those already taken (a chain of industrial land can be taken in).
    """
    valid = landuse if bool(landuse.geometry.is_valid.all()) else repair_polygons(landuse, layer="proposal", qa=QALog())
    geoms = np.asarray(valid.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    taken = set(tree.query(zone, predicate="dwithin", distance=_REACH_M).tolist())
    industrial = np.array([bool(getattr(table.classify(v), "industrial", False)) for v in valid[code_field]])
    frontier = {i for i in taken if industrial[i]}
    for _ in range(1, params.addition_depth):
        if not frontier:
            break
        _, hit = tree.query(geoms[sorted(frontier)], predicate="dwithin", distance=_REACH_M)
        frontier = {int(i) for i in hit if industrial[i]} - taken
        taken |= frontier
    near = valid.iloc[sorted(taken)]
    return near, shapely.difference(shapely.union_all(np.asarray(near.geometry.values)), zone)


def _figures(v: ShareVerdict, rule: IndustrialRule) -> tuple[float, float]:
    """Return (industrial m², worst-case denominator m²) of an R1 verdict."""
    if rule.denominator == "zone":
        return v.industrial_area_m2, v.zone_area_m2
    return v.industrial_area_m2, v.construction_area_m2 + v.unknown_area_m2 + v.uncovered_area_m2


def _share(v: ShareVerdict | None) -> float | None:
    if v is None:
        return None
    return v.share_of_zone if v.basis == "zone" else v.share_low


def propose_boundary(
    zone: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    table: CodeTable,
    code_field: str,
    controls: ControlLayers,
    rule: IndustrialRule,
    constraint_rule: ConstraintRule,
    params: ProposalRule,
    others: Any = None,
    data: str = "",
    data_date: str = "",
    as_of: dt.date | None = None,
) -> ProposalResult:
    """Propose the smallest boundary change that makes one zone pass the 60% rule (see the module docstring).

    Parameters
    ----------
    zone : GeoDataFrame
        One prepared zone (``zone_id``, ``zone_name``; index = zone id) in the analysis CRS.
    landuse : GeoDataFrame
        The land-use layer around the zone (at least every feature touching it), same CRS.
    table : CodeTable, keyword-only
    code_field : str, keyword-only
    controls : ControlLayers, keyword-only
        The dissolved 三区三线 layers (:meth:`boundaries.constraints.ControlLayers.prepare`).
    rule, constraint_rule, params : keyword-only
        R1, R2 and the proposal's parameters.
    others : shapely geometry, optional, keyword-only
        The other zones: never taken in.
    data, data_date : str, keyword-only
        The land-use data and its date, for the verdicts.
    as_of : date, optional, keyword-only

    Returns
    -------
    ProposalResult
    """
    job = _Job(
        zone, landuse, table, code_field, controls, rule, constraint_rule, params, others, data, data_date, as_of
    )
    zid, zgeom = job.zid, job.geom
    near, outside = _neighbourhood(landuse, zgeom, table, code_field, params)
    job = dataclasses.replace(job, landuse=near)
    frame = gpd.GeoDataFrame(
        {"zone_id": [zid, OUTSIDE], "zone_name": [job.name, OUTSIDE]},
        geometry=[zgeom, outside],
        index=pd.Index([zid, OUTSIDE], name="zone"),
        crs=zone.crs,
    )
    areas = _measure(frame, near, table, code_field, rule)
    before = judge_industrial_share(zone, areas, rule=rule, data=data, data_date=data_date, as_of=as_of)[0]
    if before.passes is not False:
        status = "not needed" if before.passes else "cannot decide"
        return _empty_result(zone, before, status, before.reason, rule, params, data, as_of)
    pieces = _with_category(areas)
    rem = removal_candidates(pieces, zid, zgeom, rule, params)
    add_all, notes = addition_candidates(pieces, zgeom, controls, others, params)
    add = add_all[add_all["action"] == "add"]
    cand = pd.concat([rem, add], ignore_index=True)
    requires = list(rem["requires"]) + [[j + len(rem) for j in r] for r in add["requires"]]
    shape = ZoneShape(zgeom, list(cand.geometry.values), list(cand["action"]), params.min_piece_m2)
    sel = _select(job, before, cand, requires, shape)
    cand["chosen"] = [k in sel.chosen for k in range(len(cand))]
    listed = pd.concat([cand, add_all[add_all["action"] == "excluded"].assign(chosen=False)], ignore_index=True)
    if not sel.reaches_target:
        return _no_solution(job, before, listed, sel, notes)
    return _proposed(job, before, listed, shape, sel, notes)


@dataclass(frozen=True)
class _Job:
    """Everything one zone's proposal is made from."""

    zone: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    table: CodeTable
    code_field: str
    controls: ControlLayers
    rule: IndustrialRule
    crule: ConstraintRule
    params: ProposalRule
    others: Any
    data: str
    data_date: str
    as_of: dt.date | None

    @property
    def zid(self) -> str:
        return str(self.zone.index[0])

    @property
    def geom(self) -> Any:
        return self.zone.geometry.iloc[0]

    @property
    def name(self) -> str:
        return str(self.zone["zone_name"].iloc[0])


def _select(
    job: _Job, before: ShareVerdict, cand: pd.DataFrame, requires: list[list[int]], shape: ZoneShape
) -> Selection:
    ind_m2, den_m2 = _figures(before, job.rule)
    add = (cand["action"] == "add").to_numpy()
    area = cand["area_m2"].to_numpy()
    terms = boundary_terms(
        list(cand.geometry.values),
        list(cand["action"]),
        job.geom.boundary,
        weight_m2_per_m=job.params.boundary_weight_m2_per_m,
    )
    return select_pieces(
        np.where(add, area, 0.0).tolist(),
        np.where(add, area, -area).tolist(),
        area.tolist(),
        industrial_m2=ind_m2,
        denominator_m2=den_m2,
        threshold=job.rule.threshold,
        feasible=shape.feasible,
        rule=job.params,
        requires=requires,
        explain=shape.cuts,
        boundary=terms,
    )


def _no_solution(
    job: _Job, before: ShareVerdict, listed: gpd.GeoDataFrame, sel: Selection, notes: list[str]
) -> ProposalResult:
    rule, params = job.rule, job.params
    cand = listed[listed["action"].isin(["remove", "add"])]
    gain = float((cand["area_m2"] * np.where(cand["action"] == "add", 1 - rule.threshold, rule.threshold)).sum())
    ind_m2, den_m2 = _figures(before, rule)
    need = rule.threshold * den_m2 - ind_m2
    verdict = (
        "would reach it, but no choice that keeps one piece without new holes does" if gain >= need else "fall short"
    )
    reach = (
        f"passing needs {need:,.2f} m² more of I − t·D; all candidates together give {gain:,.2f} m² "
        f"and {verdict} ({len(cand)} candidates: non-industrial land up to {params.removal_depth} ring(s) "
        f"in from the boundary, industrial land up to {params.addition_depth} parcel(s) out, narrow "
        f"pieces only along the boundary); R1's shortfall: take in {before.shortfall_add_m2:,.2f} m² or "
        f"leave out {before.shortfall_remove_m2:,.2f} m²"
    )
    reason = "; ".join([f"no proposal: {sel.note}", reach, *notes])
    n = (int((listed["action"] == "remove").sum()), int((listed["action"] == "add").sum()))
    return _empty_result(
        job.zone,
        before,
        "no solution",
        reason,
        rule,
        params,
        job.data,
        job.as_of,
        pieces=_pieces_frame(listed, job.zone),
        sel=sel,
        n=n,
    )


def _proposed(
    job: _Job, before: ShareVerdict, listed: gpd.GeoDataFrame, shape: ZoneShape, sel: Selection, notes: list[str]
) -> ProposalResult:
    geom, n_parts, new_holes = shape.build(frozenset(sel.chosen))
    poly = gpd.GeoDataFrame(
        {"zone_id": [job.zid], "zone_name": [job.name]},
        geometry=[geom],
        index=pd.Index([job.zid], name="zone"),
        crs=job.zone.crs,
    )
    after = judge_industrial_share(
        poly,
        _measure(poly, job.landuse, job.table, job.code_field, job.rule),
        rule=job.rule,
        data=job.data,
        data_date=job.data_date,
        as_of=job.as_of,
    )[0]
    cons = check_constraints(poly, job.controls, rule=job.crule, as_of=job.as_of).verdicts[0]
    reason = "; ".join(
        [
            f"{sel.method}: {sel.note}",
            f"R1 on the proposed boundary: {after.reason}",
            f"R2 on the proposed boundary: {cons.reason}",
            *notes,
        ]
    )
    verdict = _verdict(job, before, after, cons, sel, listed, (geom, n_parts, new_holes), reason)
    poly = poly.assign(**{k: v for k, v in verdict.to_row().items() if k not in ("zone_id", "zone_name")})
    return ProposalResult(verdict, _pieces_frame(listed, job.zone), poly, before, after, cons)


def _verdict(
    job: _Job,
    before: ShareVerdict,
    after: ShareVerdict,
    cons: ConstraintVerdict,
    sel: Selection,
    listed: gpd.GeoDataFrame,
    shape: tuple[Any, int, int],
    reason: str,
) -> ProposalVerdict:
    geom, n_parts, new_holes = shape
    chosen = listed[listed["chosen"]]
    removed = float(chosen.loc[chosen["action"] == "remove", "area_m2"].sum())
    added = float(chosen.loc[chosen["action"] == "add", "area_m2"].sum())
    return ProposalVerdict(
        zone_id=job.zid,
        zone_name=job.name,
        status="proposed",
        method=sel.method,
        method_note=sel.note,
        n_candidates=int(len(listed) - (listed["action"] == "excluded").sum()),
        n_remove_candidates=int((listed["action"] == "remove").sum()),
        n_add_candidates=int((listed["action"] == "add").sum()),
        n_cuts=sel.n_cuts,
        removed_m2=removed,
        added_m2=added,
        changed_m2=removed + added,
        zone_area_before_m2=before.zone_area_m2,
        zone_area_after_m2=float(geom.area),
        perimeter_before_m=float(job.geom.length),
        perimeter_after_m=float(geom.length),
        share_before=_share(before),
        share_after=_share(after),
        basis=job.rule.denominator,
        threshold=job.rule.threshold,
        passes_after=after.passes,
        constraints_pass_after=cons.passes,
        farmland_overlap_after_m2=cons.farmland_overlap_m2,
        redline_overlap_after_m2=cons.redline_overlap_m2,
        outside_urban_boundary_after_m2=cons.outside_urban_boundary_m2,
        one_piece=n_parts == 1,
        new_holes=new_holes,
        reason=reason,
        rule_ids=(job.params.rule_id, job.rule.rule_id, *cons.rule_ids),
        source=job.params.source,
        data=job.data,
        as_of=(job.as_of or dt.date.today()).isoformat(),
    )


def _pieces_frame(listed: gpd.GeoDataFrame, zone: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = listed.rename(columns={"source": "parcel"}).copy()
    out["zone_id"] = str(zone.index[0])
    out["zone_name"] = zone["zone_name"].iloc[0]
    out["area_ha"] = out["area_m2"].map(m2_to_ha)
    out["area_mu"] = out["area_m2"].map(m2_to_mu)
    out["action_cn"] = out["action"].map({"remove": "调出", "add": "调入", "excluded": "不可调入"})
    cols = [
        "zone_id",
        "zone_name",
        "action",
        "action_cn",
        "chosen",
        "parcel",
        "code",
        "name",
        "category",
        "area_m2",
        "area_ha",
        "area_mu",
        "contact_m",
        "excluded_m2",
        "note",
    ]
    for c in cols:
        if c not in out.columns:
            out[c] = None
    return gpd.GeoDataFrame(out[cols], geometry=out.geometry.values, crs=zone.crs)


def _empty_result(
    zone: gpd.GeoDataFrame,
    before: ShareVerdict,
    status: str,
    reason: str,
    rule: IndustrialRule,
    params: ProposalRule,
    data: str,
    as_of: dt.date | None,
    *,
    pieces: gpd.GeoDataFrame | None = None,
    sel: Selection | None = None,
    n: tuple[int, int] = (0, 0),
) -> ProposalResult:
    verdict = ProposalVerdict(
        zone_id=str(zone.index[0]),
        zone_name=str(zone["zone_name"].iloc[0]),
        status=status,
        method="" if sel is None else sel.method,
        method_note="" if sel is None else sel.note,
        n_candidates=n[0] + n[1],
        n_remove_candidates=n[0],
        n_add_candidates=n[1],
        n_cuts=0 if sel is None else sel.n_cuts,
        removed_m2=0.0,
        added_m2=0.0,
        changed_m2=0.0,
        zone_area_before_m2=before.zone_area_m2,
        zone_area_after_m2=None,
        perimeter_before_m=float(zone.geometry.iloc[0].length),
        perimeter_after_m=None,
        share_before=_share(before),
        share_after=None,
        basis=rule.denominator,
        threshold=rule.threshold,
        passes_after=None,
        constraints_pass_after=None,
        farmland_overlap_after_m2=None,
        redline_overlap_after_m2=None,
        outside_urban_boundary_after_m2=None,
        one_piece=None,
        new_holes=None,
        reason=reason,
        rule_ids=(params.rule_id, rule.rule_id),
        source=params.source,
        data=data,
        as_of=(as_of or dt.date.today()).isoformat(),
    )
    empty = gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=zone.crs)
    return ProposalResult(verdict, pieces if pieces is not None else empty, empty, before, None, None)

"""Enterprises: A/B/C classes, the enterprise directory of each zone, and 亩均税收 per zone.

Per-enterprise tables (CSV/XLSX, or a layer with points or polygons) are mapped onto the package's
enterprise schema (:data:`analysis.enterprise_table.ENTERPRISE_SCHEMA`) by the project file::

    [layers.enterprises]
    path = "enterprises.xlsx"
    amount_unit = "万元"                  # 元 or 万元 for every amount column
    area_unit = "亩"                      # m2, 亩 or 公顷 for land_area_m2
    fields = {enterprise_id = "统一社会信用代码", tax_yuan = "实缴税金", land_area_m2 = "用地面积"}

Classes (Henan 2019 rules as rules.md R5 describes them; every share and weight is in the profile's
``[rules."R5.enterprises"]``):

- scope: above designated size (规模以上), or land ≥ ``scope_min_mu`` 亩; others are ``out_of_scope``;
- 亩均税收 = tax ÷ land in 亩 (万元/亩); ``n`` = in-scope enterprises with a value;
- **A**: among the top ``ceil(a_share·n)`` by 亩均税收 (all tied with the last one included), those whose R&D
  intensity (R&D ÷ revenue, else ÷ output) is at least the median of the in-scope enterprises;
- **C**: among the lower half by 亩均税收 (≤ the median), the ``ceil(c_share·n)`` lowest (ties included) by
  the composite ``w₁·pr(output per energy) + w₂·pr(tax per pollution)`` (output: 工业总产值, else 营业收入),
  ``pr`` being the percentile
  rank among the in-scope enterprises (0 worst … 1 best; zero energy or pollution ranks best);
- **B**: every other in-scope enterprise;
- ``cannot_decide`` (with the reason) when a figure the class depends on is missing.

The zone directory lists every enterprise of each zone (seed 002: 绘制产业集聚区地图和企业名录). 亩均税收
per zone = Σ tax ÷ Σ land (亩) of the zone's enterprises with both figures, against
``zone_tax_per_mu_min_wan`` (seed 001: 工业用地亩均税收突破15万元).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.enterprise_table import read_enterprises
from analysis.report import Outputs
from geo.errors import ProfileError
from geo.layers import LayerSpec
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import M2_PER_MU

log = logging.getLogger(__name__)

__all__ = [
    "CLASS_ZH",
    "EnterpriseRule",
    "EnterpriseRun",
    "assign_zones",
    "classify_enterprises",
    "directory",
    "run_enterprises",
    "zone_tax_per_mu",
]

CLASS_ZH = {
    "A": "A 优先发展类",
    "B": "B 鼓励提升类",
    "C": "C 倒逼转型类",
    "out_of_scope": "不参评",
    "cannot_decide": "无法判定",
}


@dataclass(frozen=True)
class EnterpriseRule:
    """Parameters of the A/B/C classes and the zone target, from ``[rules."R5.enterprises"]``."""

    rule_id: str
    title: str
    source: str
    scope_min_mu: float
    a_share: float
    c_share: float
    weight_output_per_energy: float
    weight_tax_per_pollution: float
    weights_source: str
    zone_tax_per_mu_min_wan: float
    zone_tax_source: str

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R5.enterprises") -> EnterpriseRule:
        """Build the rule; raise :class:`ProfileError` for missing or out-of-range values."""
        p = profile.rule(rule_id)
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                scope_min_mu=float(p["scope_min_mu"]),
                a_share=float(p["a_share"]),
                c_share=float(p["c_share"]),
                weight_output_per_energy=float(p["weight_output_per_energy"]),
                weight_tax_per_pollution=float(p["weight_tax_per_pollution"]),
                weights_source=str(p.get("weights_source", "")),
                zone_tax_per_mu_min_wan=float(p["zone_tax_per_mu_min_wan"]),
                zone_tax_source=str(p.get("zone_tax_source", "")),
            )
        except KeyError as exc:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] lacks {exc.args[0]!r}'
            raise ProfileError(msg) from exc
        if not (0 < rule.a_share < 1 and 0 < rule.c_share < 1):
            msg = f"profile {profile.origin}: a_share and c_share must be fractions in (0, 1)"
            raise ProfileError(msg)
        if rule.weight_output_per_energy + rule.weight_tax_per_pollution <= 0:
            msg = f"profile {profile.origin}: the C composite weights must not both be 0"
            raise ProfileError(msg)
        return rule


def _f(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return math.inf if b == 0 and a > 0 else (a / b if b > 0 else None)


def _pct_rank(values: pd.Series) -> pd.Series:
    """Percentile rank 0 (lowest) … 1 (highest) among the known values; ties share the mean rank."""
    known = values.dropna()
    if len(known) <= 1:
        return values.where(values.isna(), 1.0)
    r = known.rank(method="average")
    return ((r - 1) / (len(known) - 1)).reindex(values.index)


def _metrics(ents: pd.DataFrame, rule: EnterpriseRule) -> pd.DataFrame:
    m = pd.DataFrame(index=ents.index)
    land_mu = ents["land_area_m2"].map(_f) / M2_PER_MU
    m["land_area_mu"] = land_mu
    m["tax_per_mu_wan"] = [
        None if t is None or not a else t / 1e4 / a
        for t, a in zip(ents["tax_yuan"].map(_f), land_mu.map(_f), strict=True)
    ]
    rd_base = ents["revenue_yuan"].where(ents["revenue_yuan"].notna(), ents["output_yuan"])
    m["rd_intensity"] = [_ratio(_f(r), _f(b)) for r, b in zip(ents["rd_yuan"], rd_base, strict=True)]
    output = ents["output_yuan"].where(ents["output_yuan"].notna(), ents["revenue_yuan"])
    m["output_per_energy"] = [_ratio(_f(o), _f(e)) for o, e in zip(output, ents["energy_tce"], strict=True)]
    m["tax_per_pollution"] = [
        _ratio(_f(t), _f(p)) for t, p in zip(ents["tax_yuan"], ents["pollution_eq"], strict=True)
    ]
    above = ents["above_designated_size"]
    m["in_scope"] = [
        True
        if a is True or (mu is not None and mu >= rule.scope_min_mu)
        else (None if a is None and mu is None else False)
        for a, mu in zip(above, [_f(x) for x in land_mu], strict=True)
    ]
    return m.astype(
        {
            "tax_per_mu_wan": float,
            "rd_intensity": float,
            "output_per_energy": float,
            "tax_per_pollution": float,
        }
    )


def _take(values: pd.Series, k: int, *, largest: bool) -> pd.Index:
    """Return the index of the k largest (or smallest) values, every value tied with the k-th included."""
    if k <= 0 or values.empty:
        return values.index[:0]
    ordered = values.sort_values(ascending=not largest, kind="stable")
    cut = ordered.iloc[min(k, len(ordered)) - 1]
    return values.index[(values >= cut) if largest else (values <= cut)]


def _scope(m: pd.DataFrame, rule: EnterpriseRule) -> tuple[pd.Series, pd.Series]:
    cls = pd.Series("B", index=m.index, dtype=object)
    why = pd.Series("in scope, neither A nor C", index=m.index, dtype=object)
    out = m["in_scope"].eq(False)
    cls[out], why[out] = "out_of_scope", f"below designated size and under {rule.scope_min_mu:g} 亩"
    unknown = m["in_scope"].isna()
    cls[unknown] = "cannot_decide"
    why[unknown] = "cannot decide, because neither the size class (规模以上) nor the land area is known"
    no_tax = m["in_scope"].eq(True) & m["tax_per_mu_wan"].isna()
    cls[no_tax], why[no_tax] = (
        "cannot_decide",
        "cannot decide, because 亩均税收 needs both the tax and the land area",
    )
    return cls, why


def _class_a(m: pd.DataFrame, tax: pd.Series, cls: pd.Series, why: pd.Series, rule: EnterpriseRule) -> None:
    top = _take(tax, math.ceil(rule.a_share * len(tax) - 1e-9), largest=True)
    rd = m.loc[tax.index, "rd_intensity"].dropna()
    median = float(rd.median()) if len(rd) else math.nan
    floor = float(tax.loc[top].min()) if len(top) else math.nan
    head = f"top {rule.a_share:.0%} by 亩均税收 (≥ {floor:.2f} 万元/亩)"
    for i in top:
        value = m.at[i, "rd_intensity"]
        if math.isnan(value) or math.isnan(median):
            cls[i], why[i] = (
                "cannot_decide",
                f"cannot decide, because it is in the {head} but its R&D intensity is unknown",
            )
        elif value >= median:
            cls[i], why[i] = "A", f"{head} and R&D intensity {value:.2%} ≥ the median {median:.2%}"
        else:
            why[i] = f"{head} but R&D intensity {value:.2%} below the median {median:.2%}"


def _class_c(
    m: pd.DataFrame, tax: pd.Series, cls: pd.Series, why: pd.Series, rule: EnterpriseRule
) -> pd.Series:
    w1, w2 = rule.weight_output_per_energy, rule.weight_tax_per_pollution
    score = pd.Series(np.nan, index=m.index)
    pr1, pr2 = (
        _pct_rank(m.loc[tax.index, "output_per_energy"]),
        _pct_rank(m.loc[tax.index, "tax_per_pollution"]),
    )
    score.loc[tax.index] = sum(w * pr for w, pr in ((w1, pr1), (w2, pr2)) if w > 0) / (w1 + w2)
    lower = tax.index[(tax <= tax.median()).to_numpy()]
    lower = lower[cls.loc[lower].eq("B").to_numpy()]
    missing = lower[score.loc[lower].isna().to_numpy()]
    cls[missing] = "cannot_decide"
    why[missing] = (
        "cannot decide, because it is in the lower half by 亩均税收 but output per energy or tax per "
        "pollution is unknown"
    )
    for i in _take(score.loc[lower].dropna(), math.ceil(rule.c_share * len(tax) - 1e-9), largest=False):
        cls[i], why[i] = (
            "C",
            (
                f"lower half by 亩均税收 and among the bottom {rule.c_share:.0%} by the composite of "
                f"output per energy and tax per pollution ({score[i]:.3f})"
            ),
        )
    return score


def _classes(m: pd.DataFrame, rule: EnterpriseRule) -> tuple[pd.Series, pd.Series, pd.Series]:
    cls, why = _scope(m, rule)
    pool = m["in_scope"].eq(True) & m["tax_per_mu_wan"].notna()
    tax = m.loc[pool, "tax_per_mu_wan"]
    if len(tax) == 0:
        return cls, why, pd.Series(np.nan, index=m.index)
    _class_a(m, tax, cls, why, rule)
    return cls, why, _class_c(m, tax, cls, why, rule)


def classify_enterprises(
    ents: pd.DataFrame, *, rule: EnterpriseRule, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Class each enterprise A/B/C (or out of scope / cannot decide) by the rules of the module docstring.

    Parameters
    ----------
    ents : DataFrame
        Enterprise records in the schema (:func:`enterprise_records`), optionally with ``zone_id``.
    rule : EnterpriseRule, keyword-only
    as_of : date, optional, keyword-only

    Returns
    -------
    DataFrame
        The records plus ``land_area_mu``, ``tax_per_mu_wan``, ``rd_intensity``, ``output_per_energy``,
        ``tax_per_pollution``, ``in_scope``, ``composite_score``, ``rank_tax_per_mu`` (1 = highest),
        ``n_ranked``, ``class``, ``class_zh``, ``reason``, ``rule_id``, ``source``, ``weights_source``,
        ``as_of``.
    """
    as_of = as_of or dt.date.today()
    m = _metrics(ents, rule)
    cls, why, score = _classes(m, rule)
    out = ents.join(m)
    out["composite_score"] = score
    pool = m["in_scope"].eq(True) & m["tax_per_mu_wan"].notna()
    out["rank_tax_per_mu"] = m.loc[pool, "tax_per_mu_wan"].rank(ascending=False, method="min")
    out["n_ranked"] = int(pool.sum())
    out["class"] = cls
    out["class_zh"] = cls.map(CLASS_ZH)
    out["reason"] = why
    out["rule_id"] = rule.rule_id
    out["source"] = rule.source
    out["weights_source"] = rule.weights_source
    out["as_of"] = as_of.isoformat()
    return out


def zone_tax_per_mu(
    classified: pd.DataFrame, zones: pd.DataFrame, *, rule: EnterpriseRule, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Return 亩均税收 per zone (Σ tax ÷ Σ land of its enterprises with both) against the target.

    Returns
    -------
    DataFrame
        One row per zone: ``zone_id, zone_name, n_enterprises, n_with_figures, tax_yuan, land_area_m2,
        land_area_mu, tax_per_mu_wan, target_wan_per_mu, passes, verdict, reason, rule_id, source, as_of``.
    """
    as_of = as_of or dt.date.today()
    rows = []
    for zid, z in zones.iterrows():
        e = classified[classified["zone_id"].astype(object) == str(zid)]
        ok = e["tax_yuan"].notna() & e["land_area_m2"].notna() & (e["land_area_m2"].astype(float) > 0)
        tax, land = (
            float(e.loc[ok, "tax_yuan"].astype(float).sum()),
            float(e.loc[ok, "land_area_m2"].astype(float).sum()),
        )
        t = rule.zone_tax_per_mu_min_wan
        value = tax / 1e4 / (land / M2_PER_MU) if land > 0 else None
        if value is None:
            passes, reason = (
                None,
                "cannot decide, because no enterprise of the zone has both tax and land area",
            )
        else:
            passes = value >= t - 1e-9 * t
            reason = f"{value:.2f} {'≥' if passes else '<'} {t:g} 万元/亩 over {int(ok.sum())} enterprise(s)"
            if int(ok.sum()) < len(e):
                reason += f"; {len(e) - int(ok.sum())} enterprise(s) without tax or land are left out"
        rows.append(
            {
                "zone_id": str(zid),
                "zone_name": z.get("zone_name", str(zid)),
                "n_enterprises": len(e),
                "n_with_figures": int(ok.sum()),
                "tax_yuan": tax,
                "land_area_m2": land,
                "land_area_mu": land / M2_PER_MU,
                "tax_per_mu_wan": value,
                "target_wan_per_mu": t,
                "passes": passes,
                "verdict": {True: "pass", False: "fail", None: "cannot decide"}[passes],
                "reason": reason,
                "rule_id": rule.rule_id,
                "source": rule.zone_tax_source,
                "as_of": as_of.isoformat(),
            }
        )
    return pd.DataFrame(rows)


def directory(classified: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Return the enterprise directory (企业名录): every enterprise by zone, class and 亩均税收."""
    cols = [
        "zone_id",
        "zone_name",
        "enterprise_id",
        "name",
        "industry_code",
        "parcel_id",
        "land_area_mu",
        "tax_per_mu_wan",
        "class",
        "class_zh",
        "above_designated_size",
    ]
    d = classified.copy()
    d["zone_name"] = d["zone_id"].map(lambda z: zones["zone_name"].get(z) if z is not None else None)
    d["zone_id"] = d["zone_id"].fillna("(开发区外或未定位)")
    order = {"A": 0, "B": 1, "C": 2, "cannot_decide": 3, "out_of_scope": 4}
    d = d.assign(_o=d["class"].map(order)).sort_values(
        ["zone_id", "_o", "tax_per_mu_wan"], ascending=[True, True, False], na_position="last"
    )
    return d[cols].reset_index(drop=True)


def assign_zones(
    ents: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    layer: str = "enterprises",
    qa: QALog,
) -> pd.Series:
    """Return each enterprise's zone: its ``zone_id`` field, else its parcel's zone, else its location.

    Parameters
    ----------
    ents : GeoDataFrame
        Enterprise records (geometry optional: points or polygons in the zones' CRS).
    zones : GeoDataFrame
        Prepared zones indexed by zone id.
    parcels : GeoDataFrame, optional, keyword-only
        Supply parcels with ``parcel_id`` and ``zone_id`` (for enterprises that name their parcel).
    layer : str, keyword-only
    qa : QALog, keyword-only

    Returns
    -------
    Series of zone ids (None: no zone could be found, with a QA row).
    """
    out = ents["zone_id"].astype(object).where(ents["zone_id"].notna(), None).copy()
    known = {str(z) for z in zones.index}
    for i in out.index[out.notna()]:
        if str(out[i]) not in known:
            qa.add(
                "enterprise_zone",
                f"enterprise {ents.at[i, 'enterprise_id']}: zone {out[i]!r} is not a zone of "
                f"the zone layer ({', '.join(sorted(known))})",
                layer=layer,
                feature=ents.at[i, "enterprise_id"],
                field="zone_id",
            )
    if parcels is not None and "zone_id" in parcels.columns:
        by_parcel = dict(zip(parcels["parcel_id"].astype(str), parcels["zone_id"], strict=True))
        todo = out.isna() & ents["parcel_id"].notna()
        out[todo] = ents.loc[todo, "parcel_id"].astype(str).map(by_parcel)
    geom = ents.geometry
    todo = out.isna() & geom.notna().to_numpy()
    if todo.any() and ents.crs is not None:
        located = ents[todo].to_crs(zones.crs)
        pts = located.geometry.representative_point()
        right = gpd.GeoDataFrame(
            {"_zone": zones.index.astype(str)}, geometry=zones.geometry.values, crs=zones.crs
        )
        hit = gpd.sjoin(gpd.GeoDataFrame(geometry=pts, crs=zones.crs), right, predicate="within")
        first = hit.groupby(level=0)["_zone"].first()
        out[first.index] = first.astype(str)
    for i in out.index[out.isna()]:
        qa.add(
            "enterprise_zone",
            f"enterprise {ents.at[i, 'enterprise_id']}: no zone (no zone_id, no parcel in a "
            "zone, no location inside a zone); listed outside the zones",
            layer=layer,
            feature=ents.at[i, "enterprise_id"],
            severity="info",
        )
    return out


@dataclass
class EnterpriseRun:
    """Everything the enterprise job produced."""

    classified: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    rule: EnterpriseRule
    source: str
    as_of: dt.date

    def zone_table(self) -> pd.DataFrame:
        """Return 亩均税收 per zone against the target."""
        return zone_tax_per_mu(self.classified, self.zones, rule=self.rule, as_of=self.as_of)

    def outputs(self) -> Outputs:
        """Return the sheets (企业分类, 企业名录, 亩均税收), the GeoPackage layer and the map layer."""
        cols = [c for c in self.classified.columns if c != self.classified.geometry.name]
        sheet = pd.DataFrame(self.classified[cols]).assign(data=self.source)
        out = Outputs(
            sheets={
                "企业分类": sheet,
                "企业名录": directory(sheet, self.zones),
                "开发区亩均税收": self.zone_table(),
            }
        )
        located = self.classified[self.classified.geometry.notna()]
        if len(located) and located.crs is not None:
            layer = located.to_crs(self.zones.crs).reset_index(drop=True)
            out.layers["enterprises"] = layer
            out.map_layers.append(lambda m, g=layer: _add_map(m, g))
        return out


_CLASS_COLOURS = {
    "A": "#1a9850",
    "B": "#fee08b",
    "C": "#d73027",
    "cannot_decide": "#bdbdbd",
    "out_of_scope": "#ffffff",
}


def _add_map(m: folium.Map, gdf: gpd.GeoDataFrame) -> None:
    shown = gdf.copy()
    shown["_style_key"] = shown["class"]
    if (shown.geometry.geom_type == "Point").any():
        shown["geometry"] = shown.geometry.buffer(25.0)
    add_layer(
        m,
        shown,
        name="企业分类 (A/B/C)",
        style=lambda p: {
            "color": "#333",
            "weight": 1,
            "fillOpacity": 0.8,
            "fillColor": _CLASS_COLOURS.get(p.get("_style_key", ""), "#bdbdbd"),
        },
        fields={
            "name": "企业",
            "class_zh": "分类",
            "tax_per_mu_wan": "亩均税收(万元/亩)",
            "land_area_mu": "用地(亩)",
            "zone_id": "开发区",
            "reason": "说明",
        },
    )
    add_legend(m, "企业分类", {CLASS_ZH[k]: c for k, c in _CLASS_COLOURS.items()})


def run_enterprises(
    spec: LayerSpec,
    zones: gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date,
    parcels: gpd.GeoDataFrame | None = None,
) -> EnterpriseRun:
    """Read the enterprise table of a project (``[layers.enterprises]``), place, class and summarise it."""
    rule = EnterpriseRule.from_profile(profile)
    ents = read_enterprises(
        spec.path,
        layer=spec.layer or spec.get("sheet"),
        fields=spec.get("fields"),
        amount_unit=spec.get("amount_unit"),
        area_unit=spec.get("area_unit", "m2"),
        crs=spec.crs,
        datum=spec.get("datum"),
        xy_fields=spec.get("xy_fields"),
        qa=qa,
    )
    if ents.crs is None and spec.crs:
        ents = ents.set_crs(spec.crs)
    ents["zone_id"] = assign_zones(ents, zones, parcels=parcels, layer=spec.label, qa=qa)
    classified = classify_enterprises(ents, rule=rule, as_of=as_of)
    counts = classified["class"].value_counts().to_dict()
    log.info("enterprise classes: %s", ", ".join(f"{k} {n}" for k, n in counts.items()))
    return EnterpriseRun(
        classified=gpd.GeoDataFrame(classified, geometry=ents.geometry.values, crs=ents.crs),
        zones=zones,
        rule=rule,
        source=spec.label,
        as_of=as_of,
    )

"""Land-use layers: codes to classes, and the area of each class inside each zone.

:func:`measure_landuse` is the land-use adapter of the kernel (:func:`geo.kernel.area_by_class`): it
classifies each polygon by its code, repairs invalid geometries, measures, and returns a long
zone × code table with each code's class, in m², 公顷 and 亩 (like ArcGIS Tabulate Intersection), plus
the pieces and the overlaps. Unknown codes are measured like any other class and reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.codes import SCHEMES, CodeTable, code_table
from geo.errors import ProfileError
from geo.geometry import repair_polygons
from geo.io import find_field
from geo.kernel import AreaByClass, area_by_class
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = [
    "CODE_FIELDS",
    "UNCOVERED",
    "UNKNOWN_PREFIX",
    "LanduseAreas",
    "category_of",
    "guess_scheme",
    "landuse_table",
    "measure_landuse",
]

#: Usual names of land-use code fields: 三调 DLBM, planning GHDLBM/YDYHFLDM, OSM landuse.
CODE_FIELDS = ("DLBM", "GHDLBM", "YDYHFLDM", "YDDM", "YDXZ", "DLDM", "landuse", "LANDUSE", "CODE")
#: Class label of features whose code is not in the scheme's table.
UNKNOWN_PREFIX = "?"
#: Pseudo-code for zone area not covered by the land-use layer.
UNCOVERED = "(uncovered)"

_CATEGORY_OF_FLAGS = {
    (True, True): "industrial",
    (False, True): "other_construction",
    (False, False): "non_construction",
}


_SCHEME_BY_FIELD = {"landuse": "osm", "ghdlbm": "ydyh", "ydyhfldm": "ydyh", "dlbm": "sandiao"}


def guess_scheme(code_field: str) -> str:
    """Guess the code scheme from the code field's name (``landuse`` → osm, ``GHDLBM`` → ydyh, else 三调).

    >>> guess_scheme("GHDLBM"), guess_scheme("landuse"), guess_scheme("DLBM")
    ('ydyh', 'osm', 'sandiao')
    """
    return _SCHEME_BY_FIELD.get(code_field.lower(), "sandiao")


def landuse_table(
    columns: Sequence[str],
    *,
    source: str,
    code_field: str | None,
    scheme: str | None,
    codes: Mapping[str, bool],
    qa: QALog,
    what: str = "land-use code",
) -> tuple[str, CodeTable]:
    """Return the code field of a land-use layer and the code table to classify it with.

    The field is the one given or the first usual name present (``DLBM``, ``GHDLBM``, ``landuse`` …); the
    scheme is the one given or guessed from the field's name, which is recorded as a QA info row.

    Raises
    ------
    SchemaError
        When no code field is found (the message lists the fields).
    ProfileError
        For an unknown scheme.
    """
    field = find_field(columns, code_field, CODE_FIELDS, what=what, option="--code-field", source=source)
    chosen = scheme or guess_scheme(field)
    if chosen not in SCHEMES:
        msg = f"{source}: unknown scheme {chosen!r}; use one of {', '.join(SCHEMES)}"
        raise ProfileError(msg)
    if not scheme:
        qa.add(
            "scheme",
            f"code scheme not given; {SCHEMES[chosen]} assumed from the field name {field}",
            layer=source,
            severity="info",
        )
    return field, code_table(chosen, **codes)


def category_of(industrial: bool, construction: bool) -> str:
    """Return the R1 category of a class: industrial, other_construction or non_construction."""
    return _CATEGORY_OF_FLAGS.get((bool(industrial), bool(construction)), "industrial")


@dataclass(frozen=True)
class LanduseAreas:
    """Land use inside each zone.

    ``breakdown`` has one row per zone and code: ``zone``, ``code``, ``name``, ``group``, ``industrial``,
    ``construction``, ``category``, ``area_m2``, ``area_ha``, ``area_mu``, ``pct_of_zone``; unknown codes
    have ``category == "unknown"`` and gaps the code ``(uncovered)``.
    """

    breakdown: pd.DataFrame
    kernel: AreaByClass
    scheme: str
    code_field: str

    def total(self, zone: object, category: str | Sequence[str]) -> float:
        """Return the area of one or more categories in a zone (m²)."""
        cats = [category] if isinstance(category, str) else list(category)
        sums = self._sums
        return float(sum(sums.get((zone, c), 0.0) for c in cats))

    @cached_property
    def _sums(self) -> dict[tuple[object, str], float]:
        """Area by (zone, category), summed once."""
        grouped = self.breakdown.groupby(["zone", "category"], sort=False)["area_m2"].sum()
        return {key: float(v) for key, v in grouped.items()}


def _classify(
    landuse: gpd.GeoDataFrame, code_field: str, table: CodeTable, *, layer: str, qa: QALog
) -> tuple[pd.Series, pd.DataFrame]:
    raw = landuse[code_field].astype(object)
    positions, uniq = pd.factorize(raw, use_na_sentinel=True)  # each distinct code is classified once
    info: dict[str, dict[str, object]] = {}
    label_list: list[str] = []
    missing = bool((positions == -1).any())
    for value in [*uniq, *([None] if missing else [])]:  # None: the missing values (position -1, last)
        cls = table.classify(value)
        if cls is None:
            shown = "" if value is None else str(value).strip()
            label = f"{UNKNOWN_PREFIX}{shown}"
            info[label] = {
                "name": "未识别地类" if shown else "空地类编码",
                "group": "unknown",
                "industrial": False,
                "construction": False,
                "category": "unknown",
            }
        else:
            label = cls.code
            info[label] = {
                "name": cls.name,
                "group": cls.group,
                "industrial": cls.industrial,
                "construction": cls.construction,
                "category": category_of(cls.industrial, cls.construction),
            }
        label_list.append(label)
    labels = pd.Series(np.asarray(label_list, dtype=object)[positions], index=landuse.index)
    meta = pd.DataFrame.from_dict(info, orient="index")
    meta.index.name = "code"
    for label in (lab for lab in info if lab.startswith(UNKNOWN_PREFIX)):
        feats = landuse.index[(labels == label).to_numpy()]
        ids = ", ".join(map(str, feats[:20])) + (" …" if len(feats) > 20 else "")
        qa.add(
            "unknown_code",
            f"code {label[1:]!r} in field {code_field} is not in the {SCHEMES[table.scheme]} table: "
            f"{len(feats)} feature(s) (fid {ids}); measured as 'unknown' and reported, never counted as a class",
            layer=layer,
            field=code_field,
            feature=feats[0] if len(feats) == 1 else None,
        )
    return labels, meta


def measure_landuse(
    zones: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    table: CodeTable,
    code_field: str | None = None,
    precedence: Sequence[str] = ("other_construction", "non_construction", "unknown", "industrial"),
    layer: str = "landuse",
    qa: QALog,
    keep_pieces: bool = True,
) -> LanduseAreas:
    """Measure each land-use code inside each zone.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (:func:`geo.zones.prepare_zones`) in the analysis CRS.
    landuse : GeoDataFrame
        The land-use layer in the same CRS, as read (it is repaired here, with QA rows).
    table : CodeTable, keyword-only
        The code table of the layer's scheme, with the profile's options.
    code_field : str, optional, keyword-only
        The code field; the usual names (``DLBM``, ``GHDLBM``, ``landuse`` …) are tried when not given.
    precedence : sequence of str, keyword-only
        R1 categories from highest to lowest: where polygons of different categories overlap, the higher
        keeps the overlap; within a category, the earlier feature.
    layer : str, keyword-only
        The layer's name for QA rows.
    qa : QALog, keyword-only
    keep_pieces : bool, keyword-only
        Keep piece geometries for outputs.

    Returns
    -------
    LanduseAreas
    """
    cols = [c for c in landuse.columns if c != landuse.geometry.name]
    code_field = find_field(cols, code_field, CODE_FIELDS, what="land-use code", option="--code-field", source=layer)
    if table.scheme == "osm":
        untagged = landuse[code_field].isna() | (landuse[code_field].astype(str).str.strip() == "")
        if untagged.any():
            qa.add(
                "not_landuse",
                f"{int(untagged.sum())} OSM features have no {code_field} tag (buildings, "
                "leisure areas …); they are not land-use polygons and are not used",
                layer=layer,
                field=code_field,
                severity="info",
                action="not used",
            )
            landuse = landuse.loc[~untagged.to_numpy()]
    valid = repair_polygons(landuse, layer=layer, qa=qa)
    labels, meta = _classify(valid, code_field, table, layer=layer, qa=qa)
    cat_rank = {c: len(precedence) - i for i, c in enumerate(precedence)}
    class_rank = {code: cat_rank.get(str(row["category"]), 0) for code, row in meta.iterrows()}
    work = gpd.GeoDataFrame(
        {"_class": labels.to_numpy()}, geometry=valid.geometry.to_numpy(), index=valid.index, crs=valid.crs
    )
    kern = area_by_class(
        zones.geometry, work, class_column="_class", precedence=class_rank, keep_pieces=keep_pieces, assume_valid=True
    )
    for row in kern.overlaps.itertuples(index=False):
        if row.area_m2 <= 0:
            continue
        same = row.class_a == row.class_b
        qa.add(
            "landuse_overlap",
            f"features {row.source_a} ({row.class_a}) and {row.source_b} ({row.class_b}) overlap by "
            f"{row.area_m2:.2f} m² in zone {row.zone}; "
            + ("same class: counted once" if same else f"counted once, as {row.resolved_to} (profile precedence)"),
            layer=layer,
            zone=row.zone,
            area_m2=row.area_m2,
            action="counted once",
        )
    bd = kern.table.rename(columns={"class": "code"}).merge(meta, left_on="code", right_index=True, how="left")
    gaps = kern.uncovered_m2.reset_index()
    gaps.columns = ["zone", "area_m2"]
    gaps = gaps[gaps["area_m2"].abs() > 1e-6]
    if len(gaps):
        gaps = gaps.assign(
            code=UNCOVERED,
            name="未被地类图斑覆盖",
            group="uncovered",
            industrial=False,
            construction=False,
            category="uncovered",
        )
        bd = pd.concat([bd, gaps[bd.columns]], ignore_index=True)
    zarea = kern.zone_area_m2
    bd["area_ha"] = bd["area_m2"] / M2_PER_HA
    bd["area_mu"] = bd["area_m2"] / M2_PER_MU
    bd["pct_of_zone"] = 100.0 * bd["area_m2"] / bd["zone"].map(zarea).astype(float)
    bd["industrial"] = bd["industrial"].astype(bool)
    bd["construction"] = bd["construction"].astype(bool)
    bd = bd.sort_values(["zone", "category", "code"], kind="stable").reset_index(drop=True)
    return LanduseAreas(breakdown=bd, kernel=kern, scheme=table.scheme, code_field=code_field)

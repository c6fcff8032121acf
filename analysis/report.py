"""Writing a run's outputs: the workbook, the GeoPackage and the web map.

Each analysis returns a :class:`Outputs` (sheets, layers, map layers); :func:`write_outputs` writes
them all into one folder:

- ``report.xlsx``: one sheet per table (openpyxl; headers frozen, widths fitted, areas with thousands
  separators, shares as percentages), plus ``QA`` and ``规则与参数`` (rules, parameters, analysis CRS,
  inputs and the run date);
- ``findings.gpkg``: one layer per GeoDataFrame, in the analysis CRS, plus ``qa`` (located QA rows);
- ``map.html``: a Folium map with every map layer, a layer control and legends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo.crs import AnalysisCRS
from geo.errors import InputError
from geo.io import write_layer
from geo.maps import base_map, inline_assets
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["Outputs", "RunInfo", "devzone_version", "prepare_out_dir", "write_outputs", "write_workbook"]

log = logging.getLogger(__name__)

MapLayer = Callable[[folium.Map], None]


@dataclass
class Outputs:
    """What an analysis contributes to a run's files."""

    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    map_layers: list[MapLayer] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    def extend(self, other: Outputs) -> None:
        """Add another analysis's outputs (later sheets of the same name replace earlier ones)."""
        self.sheets.update(other.sheets)
        self.layers.update(other.layers)
        self.map_layers.extend(other.map_layers)
        self.files.update(other.files)


@dataclass(frozen=True)
class RunInfo:
    """What every output records about the run."""

    title: str
    as_of: dt.date
    analysis_crs: AnalysisCRS
    profile: RuleProfile
    inputs: tuple[tuple[str, str], ...] = ()
    run_at: str = field(default_factory=lambda: dt.datetime.now().isoformat(timespec="seconds"))

    def rows(self) -> pd.DataFrame:
        """Return the run facts and every rule parameter as one table."""
        rows: list[dict[str, Any]] = [
            {"section": "run", "key": "title", "value": self.title},
            {"section": "run", "key": "devzone version", "value": devzone_version()},
            {"section": "run", "key": "run at", "value": self.run_at},
            {"section": "run", "key": "as of (judged on)", "value": self.as_of.isoformat()},
            {"section": "run", "key": "analysis CRS", "value": self.analysis_crs.label},
            {"section": "run", "key": "analysis CRS chosen because", "value": self.analysis_crs.reason},
            {"section": "run", "key": "area units", "value": "m²; 1 公顷 = 10 000 m²; 1 亩 = 10 000/15 m²"},
        ]
        rows += [{"section": "input", "key": role, "value": where} for role, where in self.inputs]
        rows += self.profile.parameters()
        return pd.DataFrame(rows, columns=["section", "key", "value"])


def devzone_version() -> str:
    """Return the installed devzone version."""
    try:
        return version("devzone")
    except PackageNotFoundError:
        return "unknown"


def prepare_out_dir(out: str | Path, *, overwrite: bool) -> Path:
    """Create the output folder; refuse to write into a non-empty one without ``overwrite``.

    Raises
    ------
    InputError
        When the folder holds files and ``overwrite`` is False.
    """
    p = Path(out)
    if p.exists() and any(p.iterdir()) and not overwrite:
        msg = f"{p} already holds files; choose another --out folder or pass --overwrite"
        raise InputError(msg)
    p.mkdir(parents=True, exist_ok=True)
    return p


def _fmt(col: str) -> str | None:
    if col.endswith(("_m2", "_ha", "_mu", "_yuan", "_m")):
        return "#,##0.00"
    if col.startswith("share") or col.endswith(("_share", "_rate")):
        return "0.00%"
    if col.startswith("pct"):
        return "0.00"
    return None


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write tables to an .xlsx workbook, formatted for reading in Excel or WPS."""
    p = Path(path)
    with pd.ExcelWriter(p, engine="openpyxl") as writer:
        for name, df in sheets.items():
            sheet = name[:31]
            frame = df.copy()
            for c in frame.columns:
                if isinstance(frame[c].dtype, pd.DatetimeTZDtype):
                    frame[c] = frame[c].dt.tz_localize(None)
                if frame[c].dtype == object:
                    frame[c] = frame[c].map(
                        lambda v: (
                            v if v is None or isinstance(v, (str, int, float, bool, dt.date)) else str(v)
                        )
                    )
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for j, col in enumerate(frame.columns, start=1):
                cell = ws.cell(row=1, column=j)
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                values = [str(col)] + [str(v) for v in frame[col].head(200).tolist()]
                width = min(
                    60, max(8, max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values) + 2)
                )
                ws.column_dimensions[get_column_letter(j)].width = width
                fmt = _fmt(str(col))
                if fmt:
                    for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        row[0].number_format = fmt
    return p


def write_outputs(
    out_dir: Path,
    outputs: Outputs,
    info: RunInfo,
    qa: QALog,
    *,
    basemap: str = "osm",
    zones: gpd.GeoDataFrame,
) -> dict[str, Path]:
    """Write report.xlsx, findings.gpkg and map.html; return their paths by kind."""
    sheets = dict(outputs.sheets)
    sheets["QA"] = qa.to_frame()
    sheets["规则与参数"] = info.rows()
    paths = {"workbook": write_workbook(out_dir / "report.xlsx", sheets)}
    gpkg = out_dir / "findings.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for name, layer in outputs.layers.items():
        write_layer(layer, gpkg, name)
    qa_geo = qa.to_geodataframe(info.analysis_crs.crs)
    if len(qa_geo):
        write_layer(qa_geo, gpkg, "qa")
    meta = info.rows().astype(str)
    write_layer(
        gpd.GeoDataFrame(meta, geometry=[None] * len(meta), crs=info.analysis_crs.crs), gpkg, "run_info"
    )
    paths["geopackage"] = gpkg
    bounds = zones.to_crs(4326).total_bounds
    m = base_map(bounds, basemap=basemap)
    for add in outputs.map_layers:
        add(m)
    folium.LayerControl(collapsed=False).add_to(m)
    title = (
        f"{info.title} — 判定日期 {info.as_of.isoformat()}，分析坐标系 {info.analysis_crs.label}，"
        f"规则 {info.profile.name} {info.profile.version}"
    )
    import html as _html

    m.get_root().html.add_child(
        folium.Element(
            f'<div style="position:fixed;top:10px;left:60px;z-index:9999;background:white;padding:4px 8px;'
            f'border:1px solid #999;font:13px sans-serif">{_html.escape(title)}</div>'
        )
    )
    map_path = out_dir / "map.html"
    m.save(str(map_path))
    map_path.write_text(inline_assets(map_path.read_text(encoding="utf-8")), encoding="utf-8")
    paths["map"] = map_path
    paths.update(outputs.files)
    log.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths

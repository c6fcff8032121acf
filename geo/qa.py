"""The QA log: every repair, exclusion and data problem, with the feature it concerns.

Survivable problems are never silent: each becomes a :class:`QARow` (written to the workbook's QA sheet
and the GeoPackage's ``qa`` layer) and a logged warning.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["QALog", "QARow"]

log = logging.getLogger(__name__)

_COLUMNS = ["check", "severity", "layer", "feature", "field", "zone", "area_m2", "action", "message"]


@dataclass(frozen=True)
class QARow:
    """One data-quality finding."""

    check: str
    severity: str
    layer: str
    message: str
    feature: str | None = None
    field: str | None = None
    zone: str | None = None
    area_m2: float | None = None
    action: str | None = None
    geometry: Any = None


@dataclass
class QALog:
    """Collects :class:`QARow` records; one per run, passed to every step."""

    rows: list[QARow] = field(default_factory=list)
    _seen: set[tuple[object, ...]] = field(default_factory=set, repr=False)

    def add(
        self,
        check: str,
        message: str,
        *,
        layer: str,
        severity: str = "warning",
        feature: object = None,
        field: str | None = None,
        zone: object = None,
        area_m2: float | None = None,
        action: str | None = None,
        geometry: Any = None,
    ) -> QARow:
        """Record a finding and log it (warnings at WARNING level, information at INFO).

        A row identical to one already recorded (same check, layer, feature, field, zone and message: two
        checks reading the same layer) is not recorded twice; the existing row is returned.
        """
        row = QARow(
            check=check,
            severity=severity,
            layer=layer,
            message=message,
            feature=None if feature is None else str(feature),
            field=field,
            zone=None if zone is None else str(zone),
            area_m2=None if area_m2 is None else float(area_m2),
            action=action,
            geometry=geometry,
        )
        key = (row.check, row.severity, row.layer, row.feature, row.field, row.zone, row.message)
        if key in self._seen:
            return next(
                r for r in self.rows if (r.check, r.severity, r.layer, r.feature, r.field, r.zone, r.message) == key
            )
        self._seen.add(key)
        self.rows.append(row)
        level = logging.WARNING if severity in ("warning", "error") else logging.INFO
        where = f"{layer}" + (f" feature {row.feature}" if row.feature else "")
        log.log(level, "%s: %s: %s", check, where, message)
        return row

    def extend(self, other: QALog) -> None:
        """Append the rows of another log."""
        self.rows.extend(other.rows)

    def count(self, check: str | None = None) -> int:
        """Return the number of rows, or of rows of one check."""
        return sum(1 for r in self.rows if check is None or r.check == check)

    def to_frame(self) -> pd.DataFrame:
        """Return the rows as a table (without geometries)."""
        return pd.DataFrame(
            [{k: v for k, v in asdict(r).items() if k != "geometry"} for r in self.rows], columns=_COLUMNS
        )

    def to_geodataframe(self, crs: Any) -> gpd.GeoDataFrame:
        """Return the rows that have a location, as a GeoDataFrame."""
        located = [r for r in self.rows if r.geometry is not None]
        frame = pd.DataFrame(
            [{k: v for k, v in asdict(r).items() if k != "geometry"} for r in located], columns=_COLUMNS
        )
        return gpd.GeoDataFrame(frame, geometry=[r.geometry for r in located], crs=crs)

"""The project file: one TOML file naming a run's layers, rule profile, date and CRS.

```toml
[project]
name = "濮阳市开发区样例"
as_of = "2026-11-21"      # judged-on date (default: today)
profile = "henan"          # a built-in profile or a path
crs = "EPSG:4526"          # analysis CRS (default: chosen, see geo.crs)

[layers.zones]
path = "zones.gpkg"        # relative to this file
layer = "zones"
id_field = "ZONE_ID"

[layers.landuse]
path = "dltb.shp"
encoding = "GB18030"       # optional; detected for Shapefiles
code_field = "DLBM"
scheme = "sandiao"
basis = "现状"
date = "2023-12-31"
```

Keys other than ``path``, ``layer``, ``encoding`` and ``crs`` are the role's options. ``[rasters.<role>]``
tables name rasters the same way.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import ProfileError
from geo.layers import LayerSpec

__all__ = ["Project", "load_project"]

_SPEC_KEYS = ("path", "layer", "encoding", "crs")


@dataclass(frozen=True)
class Project:
    """A parsed project file."""

    path: Path
    name: str
    as_of: dt.date
    profile: str
    crs: str | None
    layers: dict[str, LayerSpec] = field(default_factory=dict)
    rasters: dict[str, LayerSpec] = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        """Return True when every role is configured."""
        return all(r in self.layers or r in self.rasters for r in roles)

    def missing(self, *roles: str) -> list[str]:
        """Return the roles not configured."""
        return [r for r in roles if r not in self.layers and r not in self.rasters]


def _spec(base: Path, role: str, table: dict[str, Any], origin: Path) -> LayerSpec:
    if "path" not in table:
        msg = f"{origin}: [layers.{role}] has no 'path'"
        raise ProfileError(msg)
    p = Path(table["path"])
    if not p.is_absolute():
        p = base / p
    opts = {k: v for k, v in table.items() if k not in _SPEC_KEYS}
    if isinstance(opts.get("table"), dict) and "path" in opts["table"]:
        tp = Path(opts["table"]["path"])
        opts["table"] = {**opts["table"], "path": tp if tp.is_absolute() else base / tp}
    return LayerSpec(
        path=p, layer=table.get("layer"), encoding=table.get("encoding"), crs=table.get("crs"), options=opts
    )


def load_project(path: str | Path) -> Project:
    """Read a project file.

    Raises
    ------
    ProfileError
        For invalid TOML, a missing ``[layers.zones]``, a layer without a path or a bad date.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no such project file"
        raise ProfileError(msg)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        msg = f"{p}: not valid TOML ({exc})"
        raise ProfileError(msg) from exc
    head = data.get("project", {})
    base = p.parent
    layers = {role: _spec(base, role, t, p) for role, t in data.get("layers", {}).items()}
    rasters = {role: _spec(base, role, t, p) for role, t in data.get("rasters", {}).items()}
    if "zones" not in layers:
        msg = f"{p}: no [layers.zones] table; the zone layer is required"
        raise ProfileError(msg)
    raw_date = head.get("as_of")
    try:
        as_of = dt.date.fromisoformat(str(raw_date)) if raw_date else dt.date.today()
    except ValueError as exc:
        msg = f"{p}: as_of {raw_date!r} is not a date (YYYY-MM-DD)"
        raise ProfileError(msg) from exc
    profile = str(head.get("profile", "henan"))
    if profile.endswith(".toml") and not Path(profile).is_absolute():
        profile = str(base / profile)
    return Project(
        path=p,
        name=str(head.get("name", p.stem)),
        as_of=as_of,
        profile=profile,
        crs=head.get("crs"),
        layers=layers,
        rasters=rasters,
    )

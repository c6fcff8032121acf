"""Area units used in Chinese land administration.

Areas are stored in square metres everywhere in devzone and converted only at the edges.

>>> round(m2_to_mu(10_000), 6)
15.0
>>> m2_to_ha(25_000)
2.5
"""

from __future__ import annotations

__all__ = ["M2_PER_HA", "M2_PER_MU", "MU_PER_HA", "ha_to_m2", "m2_to_ha", "m2_to_mu", "mu_to_m2"]

#: 1 公顷 = 10 000 m².
M2_PER_HA: float = 10_000.0
#: 1 亩 = 10 000 / 15 m² (666.67 m²), the legal definition.
M2_PER_MU: float = 10_000.0 / 15.0
#: 1 公顷 = 15 亩.
MU_PER_HA: float = 15.0


def m2_to_ha(area_m2: float) -> float:
    """Convert square metres to 公顷 (hectares)."""
    return float(area_m2) / M2_PER_HA


def m2_to_mu(area_m2: float) -> float:
    """Convert square metres to 亩."""
    return float(area_m2) / M2_PER_MU


def ha_to_m2(area_ha: float) -> float:
    """Convert 公顷 to square metres."""
    return float(area_ha) * M2_PER_HA


def mu_to_m2(area_mu: float) -> float:
    """Convert 亩 to square metres."""
    return float(area_mu) * M2_PER_MU

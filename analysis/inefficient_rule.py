"""Parameters of R5 (inefficient land) from a profile's ``[rules.R5]`` table and the indicator table.

Scalar thresholds (building coefficient, office/living share, green ratio, the 8 m storey) are the
profile's; when they equal the table's value the table's source is cited, else the profile is. FAR and
investment-intensity minimums come from the versioned table (:mod:`geo.indicators`), unless the profile's
``far_min_by_industry`` or ``investment_min_wan_per_ha`` set them (cited as "profile").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.buildings import RULES as STOREY_RULES
from geo.errors import ProfileError
from geo.indicators import IndicatorTable, Threshold, load_indicator_table
from geo.profile import RuleProfile

__all__ = ["InefficientRule"]


@dataclass(frozen=True)
class InefficientRule:
    """Parameters of R5 from a profile's ``[rules.R5]`` table."""

    rule_id: str
    title: str
    source: str
    table: IndicatorTable
    industry_code_edition: str
    region_class: int | None
    region_class_by_zone: dict[str, int]
    investment_min_wan_per_ha: dict[str, float]
    far_min_by_industry: dict[str, float]
    building_coefficient_min: float
    office_living_share_max: float
    green_ratio_max: float
    tall_storey_m: float
    tall_storey_rule: str
    far_source: str
    area_basis: str
    area_mismatch_share: float
    tax_per_mu_min_wan: float
    tax_source: str

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R5") -> InefficientRule:
        """Build the rule; raise :class:`ProfileError` for missing or bad values."""
        p = profile.rule(rule_id)
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                table=load_indicator_table(str(p.get("indicator_table", "2008"))),
                industry_code_edition=str(p.get("industry_code_edition", "2002")),
                region_class=int(p.get("region_class", 0)) or None,
                region_class_by_zone={
                    str(k): int(v) for k, v in dict(p.get("region_class_by_zone", {})).items()
                },
                investment_min_wan_per_ha={
                    str(k): float(v) for k, v in dict(p.get("investment_min_wan_per_ha", {})).items()
                },
                far_min_by_industry={
                    str(k): float(v) for k, v in dict(p.get("far_min_by_industry", {})).items()
                },
                building_coefficient_min=float(p["building_coefficient_min"]),
                office_living_share_max=float(p["office_living_share_max"]),
                green_ratio_max=float(p["green_ratio_max"]),
                tall_storey_m=float(p["tall_storey_m"]),
                tall_storey_rule=str(p.get("tall_storey_rule", "conservative")),
                far_source=str(p.get("far_source", "auto")),
                area_basis=str(p.get("area_basis", "record")),
                area_mismatch_share=float(p.get("area_mismatch_share", 0.01)),
                tax_per_mu_min_wan=float(p["tax_per_mu_min_wan"]),
                tax_source=str(p.get("tax_source", "")),
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        checks = {
            "tall_storey_rule": (rule.tall_storey_rule, STOREY_RULES),
            "far_source": (rule.far_source, ("auto", "records_first", "buildings_first")),
            "area_basis": (rule.area_basis, ("record", "geometry")),
        }
        for key, (value, allowed) in checks.items():
            if value not in allowed:
                msg = (f"profile {profile.origin}: [rules.{rule_id}] {key} = {value!r}; "
                       f"use one of {', '.join(allowed)}")
                raise ProfileError(msg)
        return rule

    def threshold(self, indicator: str) -> Threshold:
        """Return a scalar threshold, from the profile (its value) with the table's source when they agree."""
        value = {
            "building_coefficient": self.building_coefficient_min,
            "office_living_share": self.office_living_share_max,
            "green_ratio": self.green_ratio_max,
        }[indicator]
        t = self.table.scalar(indicator)
        if t is not None and t.value is not None and math.isclose(t.value, value):
            return t
        cmp = "min" if indicator == "building_coefficient" else "max"
        return Threshold(value, cmp, "share", "profile", f"profile [rules.{self.rule_id}] {indicator}")

    def far_min(self, code: str | None) -> Threshold | None:
        """Return the FAR minimum of a 2002 industry code (profile override first)."""
        if code and code in self.far_min_by_industry:
            return Threshold(
                self.far_min_by_industry[code],
                "min",
                "ratio",
                "profile",
                f"profile [rules.{self.rule_id}] far_min_by_industry {code}",
            )
        return self.table.far_min(code)

    def investment_min(self, code: str | None, region_class: int | None) -> Threshold | None:
        """Return the investment-intensity minimum (profile override first)."""
        for key in (f"{region_class}:{code}", f"{region_class}:*"):
            if region_class and code and key in self.investment_min_wan_per_ha:
                return Threshold(
                    self.investment_min_wan_per_ha[key],
                    "min",
                    "万元/公顷",
                    "profile",
                    f"profile [rules.{self.rule_id}] investment_min_wan_per_ha {key}",
                )
        return self.table.investment_min(code, region_class)

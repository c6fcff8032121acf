"""Rule profiles: thresholds, code options, citations — rules as data.

A profile is a TOML file with a ``[profile]`` table (name, title, version), a ``[codes]`` table of
code-table options and one ``[rules.<id>]`` table per rule. The Henan defaults ship with the package
(``geo/data/profile_henan.toml``); a user's file replaces them whole, or extends them with
``extends = "henan"`` in its ``[profile]`` table (tables are merged key by key).

>>> p = load_profile("henan")
>>> p.rule("R1")["threshold"]
0.6
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from geo.codes import FLAGS
from geo.errors import ProfileError

__all__ = ["BUILTIN_PROFILES", "RuleProfile", "load_profile"]

BUILTIN_PROFILES = ("henan", "osm")


@dataclass(frozen=True)
class RuleProfile:
    """A loaded rule profile."""

    name: str
    title: str
    version: str
    origin: str
    codes: dict[str, bool] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> dict[str, Any]:
        """Return a rule's parameters.

        Raises
        ------
        ProfileError
            When the profile has no such rule.
        """
        if rule_id not in self.rules:
            msg = f"profile {self.name!r} ({self.origin}) has no [rules.{rule_id}] table; it has {sorted(self.rules)}"
            raise ProfileError(msg)
        return dict(self.rules[rule_id])

    def parameters(self) -> list[dict[str, Any]]:
        """Return every parameter as rows (profile, section, key, value) for the outputs."""
        rows = [
            {"section": "profile", "key": k, "value": v}
            for k, v in (
                ("name", self.name),
                ("title", self.title),
                ("version", self.version),
                ("origin", self.origin),
            )
        ]
        rows += [{"section": "codes", "key": k, "value": v} for k, v in sorted(self.codes.items())]
        for rid, params in sorted(self.rules.items()):
            rows += [{"section": f"rules.{rid}", "key": k, "value": _text(v)} for k, v in params.items()]
        return rows


def _text(v: Any) -> Any:
    return ", ".join(map(str, v)) if isinstance(v, list) else v


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read(source: str | Path) -> tuple[dict[str, Any], str]:
    if str(source) in BUILTIN_PROFILES:
        text = resources.files("geo.data").joinpath(f"profile_{source}.toml").read_text(encoding="utf-8")
        return tomllib.loads(text), f"built-in profile {source!r}"
    path = Path(source)
    if not path.exists():
        msg = f"profile {source}: no such file, and not a built-in profile ({', '.join(BUILTIN_PROFILES)})"
        raise ProfileError(msg)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
    except tomllib.TOMLDecodeError as exc:
        msg = f"profile {path}: not valid TOML ({exc})"
        raise ProfileError(msg) from exc


def load_profile(source: str | Path = "henan") -> RuleProfile:
    """Load a built-in profile by name or a user's TOML file.

    Raises
    ------
    ProfileError
        For a missing file, invalid TOML, an unknown code option or a missing ``[profile]`` table.
    """
    data, origin = _read(source)
    head = data.get("profile")
    if not isinstance(head, dict):
        msg = f"profile {origin}: no [profile] table (name, title, version)"
        raise ProfileError(msg)
    base = head.get("extends")
    if base:
        parent, porigin = _read(base)
        data = _merge(parent, data)
        origin = f"{origin} (extends {porigin})"
        head = data["profile"]
    codes = data.get("codes", {})
    unknown = set(codes) - set(FLAGS)
    if unknown:
        msg = f"profile {origin}: unknown option(s) in [codes]: {sorted(unknown)}; known: {sorted(FLAGS)}"
        raise ProfileError(msg)
    return RuleProfile(
        name=str(head.get("name", Path(str(source)).stem)),
        title=str(head.get("title", "")),
        version=str(head.get("version", "")),
        origin=origin,
        codes={k: bool(v) for k, v in codes.items()},
        rules=data.get("rules", {}),
    )

"""devzone's ground floor: errors, units, CRS, I/O, code tables, rule profiles, the area kernel, maps.

Dependencies point one way: ``geo`` ← ``boundaries`` ← ``analysis``.
"""

import logging

from geo.codes import SCHEMES, CodeTable, LandClass, code_table, normalize_code
from geo.crs import AnalysisCRS, choose_analysis_crs, ellipsoidal_area_m2, gk3_crs, suggest_crs
from geo.errors import CRSError, DataError, DevzoneError, EncodingError, InputError, ProfileError, SchemaError
from geo.io import find_field, inspect_layer, list_layers, read_layer, read_table, write_layer
from geo.kernel import AreaByClass, area_by_class
from geo.landuse import LanduseAreas, measure_landuse
from geo.layers import LayerSpec, load_near, load_zones
from geo.profile import RuleProfile, load_profile
from geo.qa import QALog, QARow
from geo.units import M2_PER_HA, M2_PER_MU, m2_to_ha, m2_to_mu
from geo.zones import prepare_zones, zone_overlaps

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "M2_PER_HA",
    "M2_PER_MU",
    "SCHEMES",
    "AnalysisCRS",
    "AreaByClass",
    "CRSError",
    "CodeTable",
    "DataError",
    "DevzoneError",
    "EncodingError",
    "InputError",
    "LandClass",
    "LanduseAreas",
    "LayerSpec",
    "ProfileError",
    "QALog",
    "QARow",
    "RuleProfile",
    "SchemaError",
    "area_by_class",
    "choose_analysis_crs",
    "code_table",
    "ellipsoidal_area_m2",
    "find_field",
    "gk3_crs",
    "inspect_layer",
    "list_layers",
    "load_near",
    "load_profile",
    "load_zones",
    "m2_to_ha",
    "m2_to_mu",
    "measure_landuse",
    "normalize_code",
    "prepare_zones",
    "read_layer",
    "read_table",
    "suggest_crs",
    "write_layer",
    "zone_overlaps",
]

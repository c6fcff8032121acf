"""Print maps: the CJK font is found (or a clear error), the PNG has the page's pixel size, no tofu."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread
from shapely import LineString

import geo.printmap as pm
from geo.errors import DevzoneError
from geo.printmap import FONT_ENV, MapLayer, draw_print_map, find_cjk_font, nice_length, paper_pixels
from tests.conftest import X0, Y0, b

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _font_or_skip() -> Path:
    try:
        return find_cjk_font()
    except DevzoneError as exc:
        pytest.skip(f"no CJK font on this machine (run scripts/install_system.py): {exc}")


def zone():
    return gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "zone_name": ["测试区"]}, geometry=[b(0, 0, 1200, 800)], crs="EPSG:4526"
    )


def layers():
    roads = gpd.GeoDataFrame(
        {"name": ["东环路"]},
        geometry=[LineString([(X0 + 1250, Y0 - 300), (X0 + 1250, Y0 + 1100)])],
        crs="EPSG:4526",
    )
    return [
        MapLayer(roads, "道路", edgecolor="#555555", linewidth=1.5, text_column="name"),
        MapLayer(zone(), "开发区边界", edgecolor="#d7191c", linewidth=2.2),
    ]


def test_the_font_found_covers_chinese(monkeypatch):
    monkeypatch.delenv(FONT_ENV, raising=False)
    path = _font_or_skip()
    assert path.is_file()
    assert pm._covers(path, "开发区四至界址点")


def test_font_env_var_must_name_a_chinese_font(monkeypatch, tmp_path):
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(DevzoneError, match="no such font file"):
        find_cjk_font()
    monkeypatch.setenv(FONT_ENV, str(DEJAVU))
    with pytest.raises(DevzoneError, match="no glyphs for Chinese"):
        find_cjk_font()


def test_no_font_anywhere_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(FONT_ENV, raising=False)
    monkeypatch.setattr(pm, "_fontconfig_candidates", lambda: [])
    monkeypatch.setattr(pm, "KNOWN_PATHS", ())
    with pytest.raises(DevzoneError, match="apt-get install fonts-wqy-zenhei"):
        find_cjk_font()


def test_png_and_pdf_have_the_page_size(tmp_path):
    _font_or_skip()
    out = draw_print_map(
        zone(),
        layers(),
        title="测试开发区 四至范围与用地现状图",
        date="2026-11-21",
        out_png=tmp_path / "m.png",
        out_pdf=tmp_path / "m.pdf",
        info=["面积：96.00 公顷"],
        footer=["底图：无"],
        zone_prefix=38,
    )
    img = imread(out["png"])
    assert img.shape[:2] == (1654, 2339)[:2] == paper_pixels((297, 210), 200)[::-1]
    assert out["pdf"].read_bytes()[:5] == b"%PDF-"
    # the title band is not blank: dark pixels where the title is drawn (top 8 % of the page, centre)
    band = img[int(0.02 * 1654) : int(0.07 * 1654), int(0.3 * 2339) : int(0.7 * 2339), :3]
    assert (band.mean(axis=2) < 0.3).sum() > 2000


def test_a_character_without_a_glyph_is_an_error_not_a_box(tmp_path):
    _font_or_skip()
    with pytest.raises(DevzoneError, match="cannot draw"):
        draw_print_map(
            zone(), layers(), title="测试\U00020000区", date="2026-11-21", out_png=tmp_path / "m.png"
        )
    assert not (tmp_path / "m.png").exists()


def test_chinese_glyphs_are_drawn_not_boxes(tmp_path):
    # the same title through the CJK font and through DejaVu (which has no Chinese glyphs): DejaVu draws the
    # same "missing glyph" box for every character, the CJK font draws distinct glyphs
    path = _font_or_skip()
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    def outlines(fp):
        return [TextPath((0, 0), ch, prop=fp, size=20).vertices.round(3).tobytes() for ch in "开发区四至"]

    boxes = outlines(FontProperties(fname=str(DEJAVU)))
    assert len(set(boxes)) == 1
    assert len(set(outlines(FontProperties(fname=str(path))))) == 5


def test_nice_lengths():
    assert [nice_length(v) for v in (1.3, 99, 240, 1000, 7300)] == [1.0, 50.0, 200.0, 1000.0, 5000.0]
    assert np.isclose(nice_length(0.03), 0.025)


def test_geographic_focus_is_refused():
    with pytest.raises(DevzoneError, match="projected"):
        draw_print_map(zone().to_crs(4490), [], title="x", date="2026-11-21")

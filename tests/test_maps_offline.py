"""Web maps open without a CDN: every library a page uses is inlined (intranets block CDNs)."""

from __future__ import annotations

import re

import folium

from geo.maps import base_map, inline_assets


def _page(with_popup: bool) -> str:
    m = base_map((114.9, 35.7, 115.1, 35.8), basemap="none")
    marker = folium.CircleMarker([35.75, 115.0], radius=3)
    if with_popup:
        marker.add_child(folium.Popup("<b>J1</b>"))  # folium builds popup HTML with jQuery's $()
    marker.add_to(m)
    folium.LayerControl().add_to(m)
    return inline_assets(m.get_root().render())


def test_no_script_or_stylesheet_from_the_web():
    for page in (_page(False), _page(True)):
        assert not re.search(r'<script src="https?://', page)
        assert not re.search(r'<link rel="stylesheet" href="https?://', page)
        assert "Leaflet 1.9.4" in page


def test_jquery_is_inlined_only_when_the_page_uses_it():
    with_popup, without = _page(True), _page(False)
    assert "$(" in with_popup and "jQuery 3.7.1" in with_popup
    assert "jQuery 3.7.1" not in without

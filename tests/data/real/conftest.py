"""The scripts in this folder are run by hand (QGIS truth, shapely cross-check): pytest skips them."""

collect_ignore_glob = ["*.py"]

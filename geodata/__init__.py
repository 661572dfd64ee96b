"""The site: patrol areas, no-fly zones, points of interest, hotspots and stations.

Loads and validates the layers a station knows about its ground, and gives each in WGS84 (for
people and files) and in the site's local metric CRS (for planning).
"""

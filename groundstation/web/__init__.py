"""The live map page's files and the local base-map tiles it may draw under the site's layers.

The page itself is static (``static/``: HTML, ES modules, CSS); Leaflet comes from npm into
``node_modules/`` (``make setup`` runs ``npm ci`` here). :mod:`groundstation.api.web` serves both.
"""

"""Patrol reports for officers, from the facts the station stored.

- :mod:`.facts`: gather one patrol's facts from the store, and its summary numbers;
- :mod:`.measure`: distance flown and covered fraction of the planned area;
- :mod:`.mapimage`: the map picture (matplotlib);
- :mod:`.html` / :mod:`.pdf`: the report page (Jinja2) and document (ReportLab);
- :mod:`.exports`: GeoJSON, KML and CSV;
- :mod:`.builder`: one entry point per format, and filing the summary;
- :mod:`.daily`: the daily summary per site, in Chinese and English;
- :mod:`.notify`: report-ready and skipped-patrol notices (live alert, optional webhook).
"""

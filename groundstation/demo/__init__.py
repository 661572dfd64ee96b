"""The one-command demo: simulator, station and live map in one process (``ecopatrol demo``).

Modules: ``setup`` (folder, users, settings), ``plans`` (the three small patrols), ``client``
(the station's API as the demo uses it), ``server`` (uvicorn in the demo's loop),
``orchestrate`` (the run), ``console`` (what the terminal shows) and ``logs`` (where the log
goes).
"""

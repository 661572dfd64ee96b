"""The flight safety watch (issue 16): every connected vehicle watched in every state.

- :mod:`.rules`: the monitors as pure functions of one vehicle state (battery, failsafes and
  mode changes, link, GPS, SYS_STATUS health, no-fly proximity, altitude, bad telemetry, the
  reach-the-shore margin), each finding with a level and its reason in English and Chinese;
- :mod:`.watch`: one vehicle's monitors over time (raised, escalated, cleared);
- :mod:`.margin`: battery left after flying to the cheapest landable point, in the wind;
- :mod:`.site_facts`: landable points (never on water), water and no-fly zones in metres;
- :mod:`.config`: the ``safety`` settings group.
"""

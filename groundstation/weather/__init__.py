"""Weather for the go/no-go gate (issue 16 point 5): gusts, rain and visibility.

- :mod:`.report`: a weather report, the limits, and the verdicts (pure);
- :mod:`.source`: where reports come from: a local HTTP JSON endpoint or a file the station
  polls, and a pilot's manual entry, which wins until it expires.
"""

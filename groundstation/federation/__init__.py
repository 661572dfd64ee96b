"""Many stations, one command centre, through an MQTT broker (issue 20; docs/federation.md).

- :mod:`.protocol`: topics and payloads, version 1 (the one source for code);
- :mod:`.outbox`: the station's durable, ordered queue of events;
- :mod:`.mqtt`: a TLS connection with a persistent session;
- :mod:`.station`: the station's publisher and command handler (a background service);
- :mod:`.execute`: how the station carries out and audits the centre's commands;
- :mod:`.authority`, :mod:`.handover`: who commands each drone, and handing one over;
- :mod:`.assemble`: the station's parts put together for ``services``;
- :mod:`.centre`: the centre's subscriber and command sender;
- :mod:`.store`: the centre's merged store (PostgreSQL + PostGIS), its schema in its own
  Alembic chain (:mod:`.migrate`, ``migrations/``);
- :mod:`.spatial`: nearest free drone, incidents in an area, merged freshness;
- :mod:`.centre_dispatch`, :mod:`.handover_store`: the centre's dispatch of the nearest free
  drone, and its record of handovers.
"""

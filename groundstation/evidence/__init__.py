"""Evidence that holds in court: the audit hash chain, the station's Ed25519 key, sealed packets.

The checks are pure and need no store: ``canonical`` (the bytes that are hashed), ``keys``,
``chain`` (the audit chain and its checkpoints), ``packet`` and ``cover`` (writing a sealed
packet) and ``verify`` (checking one offline with only a public key). ``export`` gathers an
incident's files from the store (through :mod:`groundstation.db.evidence`) and seals them;
``testing`` seeds a store with an incident for tests and benches.
"""

"""Evidence that holds in court: the audit hash chain, the station's Ed25519 key, sealed packets.

Pure parts only (no SQLAlchemy, no FastAPI): the database side is in :mod:`groundstation.db.audit`
and :mod:`groundstation.db.evidence`, so the verifiers run offline with nothing but a public key.
"""

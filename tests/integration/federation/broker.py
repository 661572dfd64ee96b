"""The tests' broker: the package's throwaway Mosquitto (groundstation.federation.local_broker)."""

from groundstation.federation.local_broker import (
    ACL,
    Mosquitto,
    free_port,
    make_certificates,
    mosquitto_binary,
)

__all__ = ["ACL", "Mosquitto", "free_port", "make_certificates", "mosquitto_binary"]

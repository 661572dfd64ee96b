"""Who the station talks to: accepted systems, their signing keys, and each vehicle's address.

A MAVLink frame says which system sent it, but anyone on the network can write any system id.
So the link trusts nothing by its claim alone:

- a system id the station has not *accepted* is listed as heard (:class:`HeardSystem`) and
  nothing more: no vehicle handle, no commands, no registry row, until a pilot accepts it;
- an accepted vehicle with a signing key (:class:`Admission` ``keys``) must sign every frame with
  it (RADIO_STATUS excepted, as ArduPilot); unsigned, wrongly signed and replayed frames are
  dropped and counted (:class:`SecurityCounters`);
- a vehicle's address is the one it was first heard from. A frame with its system id from
  another address is dropped and raises an address change (:class:`AddressGuard`): commands to
  the vehicle are held until a pilot confirms the new address, or until the old address has been
  silent for ``rebind_after_s`` (the vehicle really moved, say to another radio).

``Admission(open_fleet=True)`` (the default, for the CLI tools and tests on a private loopback)
accepts every vehicle that sends a heartbeat; the address rules hold there too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from groundstation.link.signing import SignatureVerifier
from groundstation.link.transport import Peer

#: Unknown systems remembered per fleet (system ids are 1..255; this bounds a flood of them).
MAX_HEARD = 255
#: How long frames signed with a vehicle's previous key are still taken after a rotation.
PREVIOUS_KEY_GRACE_S = 10.0


@dataclass(slots=True)
class HeardSystem:
    """A system that sent heartbeats but is not a fleet vehicle (yet)."""

    sysid: int
    compid: int
    link_url: str
    address: Peer
    first_heard_unix: float
    last_heard_unix: float
    heartbeats: int = 0
    mav_type: int = 0
    autopilot: int = 0
    signed: bool = False

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["address"] = f"{self.address[0]}:{self.address[1]}"
        return out


@dataclass(slots=True)
class SecurityCounters:
    """Frames from one vehicle's system id that the link threw away, by reason."""

    unsigned: int = 0
    bad_signature: int = 0
    replayed: int = 0
    foreign_address: int = 0
    address_changes: int = 0

    @property
    def dropped(self) -> int:
        return self.unsigned + self.bad_signature + self.replayed + self.foreign_address


@dataclass(slots=True)
class AddressGuard:
    """One vehicle's address: the bound one, and a new one it may be moving to."""

    bound: Peer
    bound_heard_at: float
    pending: Peer | None = None
    pending_since_unix: float | None = None
    refused: set[Peer] = field(default_factory=set)
    counters: SecurityCounters = field(default_factory=SecurityCounters)
    verifier: SignatureVerifier = field(default_factory=SignatureVerifier)
    #: when a frames_dropped event last went out, per source address
    last_drop_alert: dict[Peer, float] = field(default_factory=dict)
    frames: int = 0  # frames taken from this vehicle
    #: set when a frame checks out under the current key (or unsigned, with no key)
    key_confirmed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def held(self) -> bool:
        return self.pending is not None

    def status(self, now: float) -> dict[str, Any]:
        return {
            "address": _text(self.bound),
            "pending_address": _text(self.pending) if self.pending else None,
            "pending_since_unix": self.pending_since_unix,
            "held": self.held,
            "address_silent_s": round(now - self.bound_heard_at, 1),
            "dropped": {**asdict(self.counters), "total": self.counters.dropped},
        }


def _text(peer: Peer) -> str:
    return f"{peer[0]}:{peer[1]}"


class Admission:
    """The fleet's rules: accepted system ids and per-vehicle signing keys (see module doc)."""

    def __init__(
        self,
        *,
        open_fleet: bool = True,
        require_signing: bool = False,
        rebind_after_s: float = 30.0,
        accepted: Iterable[int] = (),
        keys: Mapping[int, bytes] | None = None,
    ) -> None:
        if rebind_after_s <= 0:
            raise ValueError(f"rebind_after_s must be > 0, got {rebind_after_s}")
        self.open_fleet = open_fleet
        self.require_signing = require_signing
        self.rebind_after_s = rebind_after_s
        self._accepted = set(accepted)
        self._keys: dict[int, bytes] = {}
        self._previous: dict[int, tuple[bytes | None, float]] = {}
        for sysid, key in (keys or {}).items():
            self.set_key(sysid, key)

    def admits(self, sysid: int) -> bool:
        return self.open_fleet or sysid in self._accepted

    def accept(self, sysid: int) -> None:
        self._accepted.add(sysid)

    def forget(self, sysid: int) -> None:
        self._accepted.discard(sysid)
        self._keys.pop(sysid, None)
        self._previous.pop(sysid, None)

    def key_of(self, sysid: int) -> bytes | None:
        return self._keys.get(sysid)

    def frame_policy(self, sysid: int) -> tuple[list[bytes], bool]:
        """The keys a frame from ``sysid`` may be signed with (the current one first, then the
        previous one while its grace period after a key change lasts), and whether an unsigned
        frame is taken (no key, or signing just turned on and the grace period lasts)."""
        current = self._keys.get(sysid)
        keys = [current] if current is not None else []
        unsigned_ok = current is None
        previous = self._previous.get(sysid)
        if previous is not None:
            old, until = previous
            if until < time.monotonic():
                del self._previous[sysid]
            elif old is None:
                unsigned_ok = True
            else:
                keys.append(old)
        return keys, unsigned_ok

    def end_grace(self, sysid: int, after_s: float = 1.0) -> None:
        """Stop taking the previous key ``after_s`` from now (the vehicle was heard with the new
        one; frames it sent before are still in flight)."""
        previous = self._previous.get(sysid)
        if previous is not None:
            self._previous[sysid] = (previous[0], min(previous[1], time.monotonic() + after_s))

    def set_key(self, sysid: int, key: bytes | None, grace_s: float = 0.0) -> None:
        """Use ``key`` for ``sysid`` from now on (None: unsigned); the old one for ``grace_s``."""
        if key is not None and len(key) != 32:
            raise ValueError(f"signing key must be 32 bytes, got {len(key)}")
        old = self._keys.pop(sysid, None)
        if key is not None:
            self._keys[sysid] = key
        if old != key and grace_s > 0:
            self._previous[sysid] = (old, time.monotonic() + grace_s)
        else:
            self._previous.pop(sysid, None)

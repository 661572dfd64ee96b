"""SETUP_SIGNING in the simulator decides as ArduPilot's GCS_MAVLINK::load_signing_key."""

from __future__ import annotations

from simulator.signing import SigningState


def test_zero_key_turns_signing_off_only_with_a_zero_timestamp():
    state = SigningState(bytes(range(32)))
    state.set_key(bytes(32), 123)  # ArduPilot: a zero key with a timestamp is still a key
    assert state.enabled
    state.set_key(bytes(32), 0)
    assert not state.enabled

"""The failed-login policy shared by the station and the centre, on counts in memory:
back-off, lockout, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundstation.config import LoginSettings
from groundstation.login_throttle import Count, ThrottleKey, failed, first_refusal, refusal

POLICY = LoginSettings(
    free_failures=2, backoff_base_s=1.0, backoff_max_s=2.0, user_lockout_after=6,
    address_lockout_after=50, lockout_s=600.0, forget_after_s=900.0,
)  # fmt: skip
NAME = ThrottleKey("user", "chief")
ADDRESS = ThrottleKey("address", "10.0.0.9")
T0 = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_backoff_doubles_after_the_free_failures_up_to_its_cap() -> None:
    """Two free failures; then 1, 2, 2 s waits (2 s is the cap); each ends on time."""
    count: Count | None = None
    now, waits = T0, []
    for _ in range(5):  # the sixth would lock
        count, started = failed(POLICY, NAME, count, now)
        assert started is None
        refused = refusal(POLICY, NAME, count, now)
        waits.append(0 if refused is None else refused.retry_after_s(now))
        if refused is not None:
            assert not refused.locked
            assert refusal(POLICY, NAME, count, refused.until - timedelta(seconds=0.01))
            now = refused.until
            assert refusal(POLICY, NAME, count, now) is None
    assert waits == [0, 0, 1, 2, 2]


def test_lockout_at_the_limit_then_forgotten_after_it() -> None:
    """The sixth failure locks the name for lockout_s (the lockout is returned once); once it
    has ended and the failures are old, counting starts again with a free failure."""
    count: Count | None = None
    for i in range(6):
        count, started = failed(POLICY, NAME, count, _s(10 * i))
    assert started is not None
    assert (started.failures, started.until) == (6, _s(50 + 600))
    refused = refusal(POLICY, NAME, count, _s(60))
    assert refused is not None
    assert refused.locked
    assert "locked until 2026-12-06 11:10 UTC" in refused.message(_s(60))
    assert refusal(POLICY, NAME, count, _s(651)) is None
    assert count is not None
    count, started = failed(POLICY, NAME, count, _s(50 + 901))  # forgotten: a free failure
    assert (count.failures, started) == (1, None)
    assert refusal(POLICY, NAME, count, _s(50 + 901)) is None


def test_the_first_refused_key_is_named_and_time_forgets_the_rest() -> None:
    """Of a name and an address, the one refused is named; failures older than
    forget_after_s no longer refuse."""
    address, _ = failed(POLICY, ADDRESS, None, T0)
    name = None
    for _ in range(3):
        name, _ = failed(POLICY, NAME, name, T0)
    refused = first_refusal(POLICY, [(ADDRESS, address), (NAME, name)], T0)
    assert refused is not None
    assert refused.key == NAME
    assert "for this username: wait 1 s" in refused.message(T0)
    assert first_refusal(POLICY, [(ADDRESS, address), (NAME, None)], T0) is None
    assert first_refusal(POLICY, [(NAME, name)], _s(901)) is None

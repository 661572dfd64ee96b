"""Passwords and tokens: argon2id hashes and signed, expiring JWTs (HS256).

Hashing is deliberately slow (tens of milliseconds), so the async helpers run it in a worker
thread and the event loop keeps serving telemetry meanwhile. Tokens carry the user id, the user's
token version and an expiry; the role, the active flag and the version are read from the store on
every request, so demoting, disabling, a new password or a logout take effect at once (each bumps
the version, which revokes every token issued before).

>>> codec = TokenCodec(secret="s" * 32, ttl_s=60)
>>> claims = codec.decode(codec.issue(7, version=3).token)
>>> claims.user_id, claims.version
(7, 3)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import jwt
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from groundstation.db.types import utcnow
from groundstation.errors import NotAuthenticated
from groundstation.files import private_dir, private_file

T = TypeVar("T")

HashProfile = Literal["default", "cheapest"]
_ALGORITHM = "HS256"
SECRET_FILE = "jwt-secret"


def make_hasher(profile: HashProfile = "default") -> PasswordHasher:
    """argon2id with RFC 9106's low-memory profile, or the cheapest one (tests only)."""
    params = profiles.CHEAPEST if profile == "cheapest" else profiles.RFC_9106_LOW_MEMORY
    return PasswordHasher.from_parameters(params)


class Passwords:
    """Hash and check passwords off the event loop, in threads of their own.

    Not in asyncio's default thread pool: whatever else fills that pool (site loading, report
    maps, freshness sweeps) would make a login wait behind it.
    """

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="passwords")

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)

    async def hash(self, password: str) -> str:
        return await self._off_loop(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; None (no such user) checks a dummy hash, always False.

        The dummy is a real hash made with this hasher's parameters, so checking it costs what
        checking a user's costs: a login for an unknown name takes as long as a wrong password.
        """
        if password_hash is None:
            await self._off_loop(self._verify, self.dummy_hash(), password)
            return False
        return await self._off_loop(self._verify, password_hash, password)

    def dummy_hash(self) -> str:
        """The hash of a random secret nobody knows, made once (blocking: call it at start)."""
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(32))
            return self._dummy_hash

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    version: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenCodec:
    """Issue and check the station's bearer tokens."""

    secret: str
    ttl_s: int

    def issue(self, user_id: int, version: int, now: datetime | None = None) -> IssuedToken:
        issued = now or utcnow()
        expires = issued + timedelta(seconds=self.ttl_s)
        claims = {"sub": str(user_id), "ver": version, "iat": issued, "exp": expires}
        return IssuedToken(jwt.encode(claims, self.secret, algorithm=_ALGORITHM), expires)

    def decode(self, token: str) -> TokenClaims:
        """The user id and version in `token`; :class:`NotAuthenticated` if bad or expired."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[_ALGORITHM],
                options={"require": ["sub", "exp", "ver"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise NotAuthenticated("invalid token") from exc
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub.isdigit():
            raise NotAuthenticated("invalid token subject")
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise NotAuthenticated("invalid token version")
        expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
        return TokenClaims(int(sub), version, expires)


class Revocations:
    """News of revoked tokens for connections that checked theirs once (the live websocket).

    HTTP requests check the token version on each request; a websocket checks it when it opens,
    then waits here so a logout or a password change closes it at once.
    """

    def __init__(self) -> None:
        self._watchers: dict[int, set[asyncio.Event]] = {}

    def revoke(self, user_id: int) -> None:
        for event in self._watchers.get(user_id, ()):
            event.set()

    @contextlib.contextmanager
    def watch(self, user_id: int) -> Iterator[asyncio.Event]:
        """An event set when `user_id`'s tokens are revoked, while the block runs."""
        event = asyncio.Event()
        watchers = self._watchers.setdefault(user_id, set())
        watchers.add(event)
        try:
            yield event
        finally:
            watchers.discard(event)
            if not watchers:
                del self._watchers[user_id]


def load_or_create_secret(data_dir: Path) -> str:
    """The signing key kept in ``data_dir/jwt-secret``, created (mode 0600) on first use.

    The folder is made 0700 and an existing key tightened to 0600 (with a log line).
    """
    path = data_dir / SECRET_FILE
    private_dir(data_dir)
    private_file(path)
    try:
        secret = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        secret = ""
    if secret:
        return secret
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret + "\n")
    return secret

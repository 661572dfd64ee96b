"""Passwords and tokens: argon2id hashes and signed, expiring JWTs (HS256).

Hashing is deliberately slow (tens of milliseconds), so the async helpers run it in a worker
thread and the event loop keeps serving telemetry meanwhile. Tokens carry only the user id and an
expiry; the user's role and active flag are read from the store on every request, so demoting or
disabling someone takes effect at once.

>>> codec = TokenCodec(secret="s" * 32, ttl_s=60)
>>> codec.decode(codec.issue(7).token)
7
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import jwt
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from groundstation.db.types import utcnow
from groundstation.errors import NotAuthenticated

HashProfile = Literal["default", "cheapest"]
_ALGORITHM = "HS256"
SECRET_FILE = "jwt-secret"


def make_hasher(profile: HashProfile = "default") -> PasswordHasher:
    """argon2id with RFC 9106's low-memory profile, or the cheapest one (tests only)."""
    params = profiles.CHEAPEST if profile == "cheapest" else profiles.RFC_9106_LOW_MEMORY
    return PasswordHasher.from_parameters(params)


@dataclass(frozen=True, slots=True)
class Passwords:
    """Hash and check passwords off the event loop."""

    hasher: PasswordHasher

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

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
class TokenCodec:
    """Issue and check the station's bearer tokens."""

    secret: str
    ttl_s: int

    def issue(self, user_id: int, now: datetime | None = None) -> IssuedToken:
        issued = now or utcnow()
        expires = issued + timedelta(seconds=self.ttl_s)
        claims = {"sub": str(user_id), "iat": issued, "exp": expires}
        return IssuedToken(jwt.encode(claims, self.secret, algorithm=_ALGORITHM), expires)

    def decode(self, token: str) -> int:
        """The user id in `token`; :class:`NotAuthenticated` if it is bad or expired."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise NotAuthenticated("invalid token") from exc
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub.isdigit():
            raise NotAuthenticated("invalid token subject")
        return int(sub)


def load_or_create_secret(data_dir: Path) -> str:
    """The signing key kept in ``data_dir/jwt-secret``, created (mode 0600) on first use."""
    path = data_dir / SECRET_FILE
    try:
        secret = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        secret = ""
    if secret:
        return secret
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret + "\n")
    return secret

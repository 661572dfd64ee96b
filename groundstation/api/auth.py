"""Logging in and finding out who you are."""

from __future__ import annotations

from fastapi import APIRouter

from groundstation.api.deps import CurrentUser, PasswordsDep, SessionDep, TokensDep
from groundstation.api.schemas import LoginRequest, TokenPublic, UserPublic
from groundstation.db.users import authenticate

router = APIRouter(tags=["auth"])


@router.post("/api/auth/login")
async def login(
    body: LoginRequest, session: SessionDep, passwords: PasswordsDep, tokens: TokensDep
) -> TokenPublic:
    """Exchange a username and password for a bearer token (401 if they do not match)."""
    user = await authenticate(session, passwords, body.username, body.password)
    issued = tokens.issue(user.id)
    return TokenPublic(
        access_token=issued.token, expires_at=issued.expires_at, user=UserPublic.from_row(user)
    )


@router.get("/api/me")
async def me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return UserPublic.from_row(user)

"""User accounts: everyone may list them (to pick an assignee); only admins change them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from groundstation.api.deps import (
    AdminUser,
    PasswordsDep,
    RevocationsDep,
    SessionDep,
    current_user,
)
from groundstation.api.inputs import Id
from groundstation.api.schemas import (
    Page,
    PasswordReset,
    PasswordResetPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from groundstation.db.audit import audit
from groundstation.db.models import Role
from groundstation.db.users import change_user, create_user, get_user, users_by_name
from groundstation.password_policy import generate_password

router = APIRouter(prefix="/api/users", tags=["users"], dependencies=[Depends(current_user)])


@router.get("")
async def list_users(session: SessionDep, role: Role | None = None) -> Page[UserPublic]:
    rows = await users_by_name(session, role)
    return Page(data=[UserPublic.from_row(u) for u in rows], count=len(rows))


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_user(
    body: UserCreate, session: SessionDep, passwords: PasswordsDep, admin: AdminUser
) -> UserPublic:
    user = await create_user(
        session,
        passwords,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        must_change_password=body.must_change_password,
    )
    await session.commit()
    params = {"user_id": user.id, "username": user.username, "role": user.role.value}
    if body.must_change_password:
        params["must_change_password"] = True
    await audit(session, admin, None, "user.create", "ok", params)
    return UserPublic.from_row(user)


@router.patch("/{user_id}")
async def update_user(
    user_id: Id,
    body: UserUpdate,
    session: SessionDep,
    passwords: PasswordsDep,
    revocations: RevocationsDep,
    admin: AdminUser,
) -> UserPublic:
    """Change a user; a new password, role or active flag revokes the user's tokens. A new
    password for someone else must be changed by them at their next sign-in."""
    user = await get_user(session, user_id)
    changes = body.model_dump(exclude_unset=True)
    audited = body.model_dump(exclude_unset=True, exclude={"password"}, mode="json")
    if "password" in changes:
        audited["password"] = "changed"
    if await change_user(session, passwords, user, changes, admin=admin):
        revocations.revoke(user.id)
    params = {"user_id": user.id, "username": user.username, "changes": audited}
    await audit(session, admin, None, "user.update", "ok", params)
    return UserPublic.from_row(user)


@router.post("/{user_id}/password")
async def reset_password(
    user_id: Id,
    body: PasswordReset,
    session: SessionDep,
    passwords: PasswordsDep,
    revocations: RevocationsDep,
    admin: AdminUser,
) -> PasswordResetPublic:
    """Set a user's password: the one given, or a generated one answered here once (the
    station keeps only its hash). Revokes the user's tokens; the user (unless it is the admin
    themselves) must choose their own password at the next sign-in."""
    user = await get_user(session, user_id)
    generated = body.password is None
    password = generate_password() if body.password is None else body.password
    await change_user(session, passwords, user, {"password": password}, admin=admin)
    revocations.revoke(user.id)
    params = {
        "user_id": user.id,
        "username": user.username,
        "generated": generated,
        "must_change_password": user.must_change_password,
    }
    await audit(session, admin, None, "user.password_reset", "ok", params)
    shown = password if generated else None
    return PasswordResetPublic(user=UserPublic.from_row(user), password=shown)

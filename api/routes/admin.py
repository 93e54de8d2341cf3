"""Admin user management: search users; audited credit adjustments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query

from api.deps import AdminKey, SessionDep
from api.docs import AUTH, errors
from api.pagination import decode_id_cursor, encode_id_cursor
from api.schemas import CreditAdjustment, CreditAdjustmentPublic, UserAdminPublic, UsersAdminPublic
from warehouse import audit, ledger, users

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get(
    "/users",
    response_model=UsersAdminPublic,
    summary="Search users (e-mail or name), with credits, plan and last activity",
    responses=errors(*AUTH, 422),
)
def list_users(
    admin: AdminKey,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> UsersAdminPublic:
    rows = users.search_users(session=session, query=q, after_id=decode_id_cursor(cursor), limit=limit)
    data = [
        UserAdminPublic(
            id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=u.role,
            plan=u.plan,
            credits=u.credit_balance,
            created_at=u.created_at,
            last_active_at=u.last_active_at,
        )
        for u in rows
    ]
    nxt = encode_id_cursor(rows[-1].id) if len(rows) == limit else None
    # Reading users' personal data is an admin action too: who looked, for what.
    audit.record(
        session=session,
        actor_key_id=admin.key_id,
        action="users.search",
        target_type="user",
        details={"q": q, "cursor": cursor, "returned": len(rows)},
    )
    session.commit()
    return UsersAdminPublic(data=data, next_cursor=nxt)


@router.post(
    "/users/{user_id}/credits",
    response_model=CreditAdjustmentPublic,
    summary="Adjust a user's credits with a reason (audited; an Idempotency-Key makes retries safe)",
    responses=errors(*AUTH, 402, 404, 409, 422),
)
def adjust_credits(
    user_id: uuid.UUID,
    body: CreditAdjustment,
    admin: AdminKey,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(max_length=150, pattern=r"^[\x21-\x7e]+$")] = None,
) -> CreditAdjustmentPublic:
    users.get_user(session=session, user_id=user_id)
    key = f"admin-adjust:{idempotency_key or uuid.uuid4()}"
    result = ledger.adjust(
        session=session,
        user_id=user_id,
        amount=body.amount,
        idempotency_key=key,
        reason=body.reason,
        reference_type="api_key",
        reference_id=str(admin.key_id),
    )
    if result.created:
        audit.record(
            session=session,
            actor_key_id=admin.key_id,
            action="user.credits.adjust",
            target_type="user",
            target_id=str(user_id),
            details={"amount": body.amount, "reason": body.reason, "entry_id": str(result.entry.id)},
        )
    session.commit()
    return CreditAdjustmentPublic(
        user_id=user_id,
        entry_id=result.entry.id,
        amount=result.entry.amount,
        balance_after=result.balance_after,
        created=result.created,
    )

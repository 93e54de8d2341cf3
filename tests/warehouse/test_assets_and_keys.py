"""Assets (state machine through compare-and-set), API keys, users and the catalogue."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.enums import AssetStatus, GenerationMode, LedgerKind, Role
from core.errors import AuthError, Conflict, IllegalTransition, InvalidInput, NotFound
from tests.utils.factories import make_user
from warehouse import assets, ledger
from warehouse.api_keys import authenticate, create_api_key, revoke_api_key
from warehouse.catalog import list_credit_packs, list_styles, seed_catalog
from warehouse.db import transaction
from warehouse.models import Asset
from warehouse.users import create_user


def _asset(s: Session, uid: uuid.UUID, **kw: object) -> Asset:
    a, _ = assets.create_asset(session=s, user_id=uid, mode=GenerationMode.TEXT, prompt="a red fox", **kw)  # type: ignore[arg-type]
    return a


def test_asset_walks_the_state_machine(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        aid = _asset(s, uid).id
    S = AssetStatus
    with transaction(sessions) as s:
        assets.transition(session=s, asset_id=aid, expected=S.PENDING_CONCEPTS, target=S.CONCEPTS_GENERATED)
        assets.transition(session=s, asset_id=aid, expected=S.CONCEPTS_GENERATED, target=S.GENERATING_MODEL)
        done = assets.transition(session=s, asset_id=aid, expected=S.GENERATING_MODEL, target=S.COMPLETED, faces=12)
    assert done.status == S.COMPLETED and done.progress == 100 and done.faces == 12 and done.completed_at is not None


def test_illegal_transition_is_refused_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        aid = _asset(s, make_user(s)).id
    with pytest.raises(IllegalTransition, match="PENDING_CONCEPTS to COMPLETED"), transaction(sessions) as s:
        assets.transition(session=s, asset_id=aid, expected=AssetStatus.PENDING_CONCEPTS, target=AssetStatus.COMPLETED)
    with sessions() as s:
        assert assets.get_asset(session=s, asset_id=aid).status == AssetStatus.PENDING_CONCEPTS


def test_stale_transition_is_a_conflict(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        aid = _asset(s, make_user(s)).id
    with transaction(sessions) as s:
        assets.transition(session=s, asset_id=aid, expected=AssetStatus.PENDING_CONCEPTS, target=AssetStatus.FAILED)
    with pytest.raises(Conflict, match="is FAILED"), transaction(sessions) as s:
        assets.transition(
            session=s, asset_id=aid, expected=AssetStatus.PENDING_CONCEPTS, target=AssetStatus.CONCEPTS_GENERATED
        )


def test_skip_concept_starts_generating_a_model_and_request_keys_dedupe(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        a, created = assets.create_asset(
            session=s, user_id=uid, mode=GenerationMode.TEXT, prompt="p", skip_concept=True, request_key="req-1"
        )
        b, again = assets.create_asset(
            session=s, user_id=uid, mode=GenerationMode.TEXT, prompt="p", request_key="req-1"
        )
    assert created and not again and a.id == b.id and a.status == AssetStatus.GENERATING_MODEL


def test_owners_only(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        owner, other = make_user(s), make_user(s)
        aid = _asset(s, owner).id
    with sessions() as s:
        assert assets.get_asset(session=s, asset_id=aid, user_id=owner).id == aid
        with pytest.raises(NotFound):
            assets.get_asset(session=s, asset_id=aid, user_id=other)


def test_bad_asset_input(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
    for kwargs, match in [
        ({"mode": GenerationMode.TEXT, "prompt": "  "}, "needs a prompt"),
        ({"mode": GenerationMode.IMAGE}, "input image"),
        ({"mode": GenerationMode.TEXT, "prompt": "x" * 2001}, "longer than"),
        ({"mode": GenerationMode.TEXT, "prompt": "x", "style": "no-such-style"}, "unknown style"),
    ]:
        with pytest.raises(InvalidInput, match=match), transaction(sessions) as s:
            assets.create_asset(session=s, user_id=uid, **kwargs)  # type: ignore[arg-type]
    with sessions() as s:
        assert s.scalars(select(Asset)).all() == []


def test_usage_counts_for_plan_limits(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s, credits=10)
        a = _asset(s, uid)
        ledger.spend(session=s, user_id=uid, amount=1, idempotency_key="s1")
        ledger.spend(session=s, user_id=uid, amount=2, idempotency_key="s2")
        ledger.refund(session=s, spend_idempotency_key="s2")
    with sessions() as s:
        counts = assets.usage_counts(session=s, user_id=uid)
    assert (counts.active_jobs, counts.spends_last_hour, counts.spent_this_month) == (1, 2, 1)
    assert a.status == AssetStatus.PENDING_CONCEPTS


def test_api_keys_are_hashed_and_shown_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        uid = make_user(s)
        new = create_api_key(session=s, name="web", role=Role.USER, user_id=uid)
        admin = create_api_key(session=s, name="ops", role=Role.ADMIN)
    assert new.plaintext.startswith("mk3d_") and new.plaintext not in new.record.key_hash
    with transaction(sessions) as s:
        assert authenticate(session=s, plaintext=new.plaintext).user_id == uid
        assert authenticate(session=s, plaintext=admin.plaintext).role == Role.ADMIN
        with pytest.raises(AuthError):
            authenticate(session=s, plaintext=new.plaintext + "x")
        revoke_api_key(session=s, key_id=new.record.id)
    with transaction(sessions) as s, pytest.raises(AuthError, match="revoked"):
        authenticate(session=s, plaintext=new.plaintext)
    with pytest.raises(InvalidInput, match="bound to a user"), transaction(sessions) as s:
        create_api_key(session=s, name="x", role=Role.USER)


def test_users_are_unique_by_email_and_catalogue_seeds_idempotently(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        create_user(session=s, email="Ada@Example.com")
    with pytest.raises(Conflict), transaction(sessions) as s:
        create_user(session=s, email="ada@example.com")
    with pytest.raises(InvalidInput), transaction(sessions) as s:
        create_user(session=s, email="not-an-email")
    with transaction(sessions) as s:
        seed_catalog(session=s)
        seed_catalog(session=s)
    with sessions() as s:
        assert len(list_styles(session=s)) == 5
        assert [p.credits for p in list_credit_packs(session=s)] == [10, 50, 200]
        assert LedgerKind.GRANT_PURCHASE.is_grant and not LedgerKind.SPEND.is_grant

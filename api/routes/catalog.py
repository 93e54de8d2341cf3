"""The catalogue: generation styles and credit packs."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentKey, SessionDep
from api.docs import errors
from api.schemas import CreditPackPublic, CreditPacksPublic, StylePublic, StylesPublic
from warehouse import catalog

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/styles", response_model=StylesPublic, summary="Active generation styles", responses=errors(401, 429))
def list_styles(_key: CurrentKey, session: SessionDep) -> StylesPublic:
    return StylesPublic(data=[StylePublic.model_validate(s) for s in catalog.list_styles(session=session)])


@router.get(
    "/credit-packs", response_model=CreditPacksPublic, summary="Credit packs on sale", responses=errors(401, 429)
)
def list_credit_packs(_key: CurrentKey, session: SessionDep) -> CreditPacksPublic:
    return CreditPacksPublic(
        data=[CreditPackPublic.model_validate(p) for p in catalog.list_credit_packs(session=session)]
    )

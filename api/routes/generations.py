"""Start a generation from a prompt or an uploaded image."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile

from api.deps import ActingUser, LauncherDep, RulesDep, SessionDep, SettingsDep, StoresDep
from api.docs import AUTH, errors
from api.launching import launch_step
from api.schemas import GenerationAccepted
from core.enums import GenerationMode
from core.errors import InvalidInput, UploadTooLarge
from warehouse import assets as asset_repo
from warehouse import generation
from warehouse.uploads import check_image, store_input_image

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/generations", tags=["generations"])


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes of an upload, refusing (413) anything larger."""
    upload.file.seek(0)
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"the image is larger than {limit} bytes", limit=limit)
    return bytes(data)


@router.post(
    "",
    status_code=202,
    response_model=GenerationAccepted,
    summary="Start a generation (text or image)",
    description=(
        "Send `multipart/form-data` (or a url-encoded form for text): a `prompt`, or an `image` "
        "(PNG/JPEG/WebP, checked by content type, size and decoding), an optional `style` and "
        "`skip_concept`. Spends credits atomically; answers 202 with the asset id to poll. "
        "The same `Idempotency-Key` returns the first asset and spends nothing more."
    ),
    responses=errors(*AUTH, 402, 404, 409, 413, 422),
)
def create_generation(
    request: Request,
    response: Response,
    user_id: ActingUser,
    session: SessionDep,
    stores: StoresDep,
    settings: SettingsDep,
    rules: RulesDep,
    launcher: LauncherDep,
    prompt: Annotated[str | None, Form(max_length=2000, examples=["a brass owl on a branch"])] = None,
    style: Annotated[str | None, Form(max_length=40, examples=["low-poly"])] = None,
    skip_concept: Annotated[bool, Form()] = False,
    image: Annotated[UploadFile | None, File(description="input image (PNG, JPEG or WebP)")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")] = None,
) -> GenerationAccepted:
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadTooLarge(f"the request is larger than {limit} bytes", limit=limit)
    if image is not None and not image.filename and not image.size:
        image = None  # an empty file field from a form
    mode = GenerationMode.IMAGE if image is not None else GenerationMode.TEXT
    if mode == GenerationMode.TEXT and not (prompt and prompt.strip()):
        raise InvalidInput("send a prompt, or an image to generate from")
    if idempotency_key is not None:
        prior = asset_repo.find_by_request_key(session=session, user_id=user_id, request_key=idempotency_key)
        if prior is not None:
            response.headers["Idempotent-Replayed"] = "true"
            return GenerationAccepted(asset_id=prior.id, status=prior.status, created=False)
    input_key: str | None = None
    if image is not None:
        data = _read_limited(image, limit)
        checked = check_image(data, content_type=image.content_type, max_bytes=limit)
        input_key = store_input_image(objects=stores.objects, user_id=user_id, data=data, image=checked).key
    try:
        asset, created = generation.request_generation(
            session=session,
            rules=rules,
            user_id=user_id,
            mode=mode,
            prompt=prompt,
            input_image_key=input_key,
            style=style or None,
            skip_concept=skip_concept,
            request_key=idempotency_key,
        )
        session.commit()
    except Exception:
        session.rollback()
        if input_key is not None:  # nothing refers to the upload: remove it now, not at the next purge
            stores.objects.delete(input_key)
        raise
    if input_key is not None and asset.input_image_key != input_key:
        stores.objects.delete(input_key)  # an Idempotency-Key replay kept the first request's image
    if created:
        launch_step(launcher, asset)
    else:
        response.headers["Idempotent-Replayed"] = "true"
    return GenerationAccepted(asset_id=asset.id, status=asset.status, created=created)

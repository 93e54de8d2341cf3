"""Bring an environment to a usable state: schema, price book, catalogue, an admin key."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.enums import Role
from warehouse import migrate
from warehouse.api_keys import create_api_key
from warehouse.catalog import seed_catalog
from warehouse.context import Stores
from warehouse.db import transaction
from warehouse.models import ApiKey
from warehouse.prices import load_price_book

log = logging.getLogger(__name__)

DEMO_ADMIN_KEY_NAME = "demo-admin"


@dataclass(frozen=True)
class BootstrapReport:
    revision: str | None
    prices_inserted: int
    prices_unchanged: int
    styles: int
    credit_packs: int
    admin_key: str | None
    admin_key_created: bool


def bootstrap(stores: Stores, *, admin_key_file: Path | None = None) -> BootstrapReport:
    """Migrate, load the price book, seed the catalogue, and make sure a demo admin key exists.

    The admin key's plaintext is written to ``admin_key_file`` (mode 600) when created, so a
    local demo can show it again; in production pass ``None`` and keep what is printed once.
    """
    settings = stores.settings
    migrate.upgrade(settings.database_url)
    with transaction(stores.sessions) as session:
        prices = load_price_book(session=session, path=settings.price_book_path)
        catalog = seed_catalog(session=session)
        existing = session.scalar(select(ApiKey).where(ApiKey.name == DEMO_ADMIN_KEY_NAME, ApiKey.revoked_at.is_(None)))
        plaintext: str | None = None
        created = False
        if existing is None:
            plaintext = create_api_key(session=session, name=DEMO_ADMIN_KEY_NAME, role=Role.ADMIN).plaintext
            created = True
    if created and admin_key_file is not None and plaintext is not None:
        admin_key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(admin_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(plaintext + "\n")
    elif not created and admin_key_file is not None and admin_key_file.exists():
        plaintext = admin_key_file.read_text().strip()
    return BootstrapReport(
        revision=migrate.current_revision(settings.database_url),
        prices_inserted=prices.inserted,
        prices_unchanged=prices.unchanged,
        styles=catalog.styles,
        credit_packs=catalog.credit_packs,
        admin_key=plaintext,
        admin_key_created=created,
    )

"""The persistence handles a process needs (engine, sessions, object store), built from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from warehouse.db import make_engine, make_session_factory
from warehouse.storage import ObjectStore


@dataclass
class Stores:
    """Lazily built operational database and object store for one ``Settings``."""

    settings: Any

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def objects(self) -> ObjectStore:
        return ObjectStore.from_settings(self.settings)

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

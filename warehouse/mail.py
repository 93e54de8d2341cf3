"""Outgoing mail through an outbox: enqueue once per idempotency key, deliver, mark sent.

Transports: a directory of ``.eml`` files (embedded default) or SMTP (``smtp://host:port``, or
``smtps://`` for implicit TLS). Each message's file name and Message-ID derive from its outbox id,
so a delivery repeated after a crash (between sending and marking sent) rewrites the same file,
and an SMTP peer can recognise the duplicate.
"""

from __future__ import annotations

import logging
import os
import smtplib
import tempfile
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidInput
from warehouse._sql import insert_if_new
from warehouse.db import transaction
from warehouse.models import OutboundEmail
from warehouse.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailTransport:
    """Where mail goes: ``url`` is a directory path, ``file://…``, ``smtp://host:port`` or ``smtps://…``."""

    url: str
    sender: str
    username: str | None = None
    password: str | None = None

    def deliver(self, message: EmailMessage, *, message_key: str) -> None:
        parsed = urlparse(self.url)
        if parsed.scheme in ("smtp", "smtps"):
            host, port = parsed.hostname or "127.0.0.1", parsed.port or (465 if parsed.scheme == "smtps" else 25)
            client = (
                smtplib.SMTP_SSL(host, port, timeout=30)
                if parsed.scheme == "smtps"
                else smtplib.SMTP(host, port, timeout=30)
            )
            with client as smtp:
                if parsed.scheme == "smtp" and smtp.has_extn("starttls"):
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
            return
        directory = Path(self.url[len("file://") :] if self.url.startswith("file://") else self.url)
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        os.replace(tmp, directory / f"{message_key}.eml")


def enqueue(*, session: Session, idempotency_key: str, to: str, subject: str, body: str) -> bool:
    """Queue an e-mail; return whether it is new (the same key queues it once)."""
    if "@" not in to:
        raise InvalidInput(f"invalid recipient {to!r}")
    return insert_if_new(
        session,
        OutboundEmail.__table__,  # type: ignore[arg-type]
        {
            "id": uuid.uuid4(),
            "idempotency_key": idempotency_key,
            "to_addr": to,
            "subject": subject[:300],
            "body": body,
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        },
        key=["idempotency_key"],
    )


def _message(row: OutboundEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = make_msgid(idstring=row.id.hex, domain="makeit3d.local")
    msg["X-MakeIt3D-Key"] = row.idempotency_key
    msg.set_content(row.body)
    return msg


def send_pending(*, sessions: sessionmaker[Session], transport: MailTransport, keys: list[str] | None = None) -> int:
    """Deliver pending e-mails (optionally only those keys); return how many were sent now."""
    with sessions() as s:
        stmt = select(OutboundEmail).where(OutboundEmail.status == "pending").order_by(OutboundEmail.created_at)
        if keys is not None:
            stmt = stmt.where(OutboundEmail.idempotency_key.in_(keys))
        pending = list(s.scalars(stmt))
    sent = 0
    for row in pending:
        message = _message(row, transport.sender)
        try:
            transport.deliver(message, message_key=row.id.hex)
        except (OSError, smtplib.SMTPException) as e:
            with transaction(sessions) as s:
                s.execute(
                    update(OutboundEmail)
                    .where(OutboundEmail.id == row.id)
                    .values(attempts=OutboundEmail.attempts + 1, error=str(e)[:2000])
                )
            raise
        with transaction(sessions) as s:
            s.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == row.id, OutboundEmail.status == "pending")
                .values(
                    status="sent",
                    sent_at=utcnow(),
                    attempts=OutboundEmail.attempts + 1,
                    message_id=str(message["Message-ID"]),
                    error=None,
                )
            )
        sent += 1
        log.info("sent e-mail %s to %s", row.idempotency_key, row.to_addr)
    return sent

"""The audit log: who did or saw what, when. Append-only and hash-chained.

``record`` is called by services and views as part of the change they make (inside the same
transaction where there is one). Entries hold identifiers, titles and outcomes, never the
text of a document, a comment, a password or a token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEvent) -> bytes:
    """The bytes a hash covers: every field of the entry, and the previous hash."""
    body = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "board_id": entry.board_id,
        "ip": entry.ip,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def entry_hash(entry: AuditEvent) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: User | AnonymousUser | None = None,
    obj: Model | None = None,
    board_id: int | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
    **detail: Any,
) -> AuditEvent:
    """Append one entry. Runs in its own atomic block (a savepoint inside a caller's transaction)."""
    user = actor if isinstance(actor, User) else None
    label = actor_label or (user.get_username() if user else "")
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        entry = AuditEvent(
            at=timezone.now(),
            actor=user,
            actor_label=label[:150],
            action=action,
            object_type=type(obj).__name__.lower() if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            board_id=board_id,
            ip=client_ip(request),
            detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding, and why."""

    entry_id: int
    reason: str


def _walk(entries: Iterable[AuditEvent]) -> Iterator[Break]:
    previous = GENESIS
    for entry in entries:
        if entry.prev_hash != previous:
            yield Break(entry.pk, "its previous-hash does not match the entry before it (a row removed or inserted)")
            return
        if entry_hash(entry) != entry.hash:
            yield Break(entry.pk, "its contents do not match its hash (the row was edited)")
            return
        previous = entry.hash
    head = AuditHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if head is not None and head != previous:
        yield Break(0, "the newest entries are missing (the chain's head names a later entry)")


def verify() -> Break | None:
    """The first broken link of the chain, or None if every entry holds."""
    return next(_walk(AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)), None)

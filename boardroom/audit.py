"""The audit log: who did or saw what, when. Append-only, hash-chained and sealed with a key.

``record`` is called by services and views as part of the change they make (inside the same
transaction where there is one); ``record_delivery`` by the views that hand a person a
document or part of one, once per person, version and day. Entries hold identifiers, titles
and outcomes, never the text of a document, a comment, a password or a token.

Each entry carries two links to the one before it: a plain SHA-256 ``hash`` (anyone can
recompute it, so it shows accidents and careless edits) and a ``mac``, an HMAC-SHA256 with a
key that is not in the database, so someone who can write to the database but does not hold
the key cannot rewrite the log and recompute a chain that verifies. Cutting off the newest
entries is caught against a signed head exported outside the database (``audit_anchor``,
``audit_verify --against``). README.md, "The audit log", states what this does and does not
guarantee.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

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


def audit_key() -> bytes:
    """The key that seals the chain: ``BOARDROOM_AUDIT_KEY``, else one derived from the secret key.

    Neither lives in the database (the secret key is an environment variable or a file in the
    data folder), which is the point: database access alone cannot forge a seal.
    """
    configured = getattr(settings, "BOARDROOM_AUDIT_KEY", "")
    if configured:
        return str(configured).encode()
    return salted_hmac("boardroom.audit.chain", "audit-key", algorithm="sha256").digest()


def seal(prev_mac: str, entry_hash_: str, key: bytes | None = None) -> str:
    """The keyed link of an entry: HMAC over the previous seal and the entry's own hash."""
    message = f"{prev_mac}:{entry_hash_}".encode()
    return hmac.new(key if key is not None else audit_key(), message, hashlib.sha256).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _entry(
    action: str,
    user: User | None,
    label: str,
    obj: Model | None,
    board_id: int | None,
    request: HttpRequest | None,
    detail: dict[str, Any],
) -> AuditEvent:
    return AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_label=label[:150],
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        board_id=board_id,
        ip=client_ip(request),
        detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
    )


def _append(entry: AuditEvent, head: AuditHead) -> AuditEvent:
    """Chain and store ``entry`` after ``head``, whose row lock the caller holds."""
    entry.prev_hash = head.last_hash
    entry.hash = entry_hash(entry)
    entry.mac = seal(head.last_mac or GENESIS, entry.hash)
    entry.save()
    AuditHead.objects.filter(pk=1).update(last_hash=entry.hash, last_mac=entry.mac)
    return entry


def _lock_head() -> AuditHead:
    head, _ = AuditHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_hash": GENESIS, "last_mac": GENESIS}
    )
    return head


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
        return _append(_entry(action, user, label, obj, board_id, request, detail), _lock_head())


def record_delivery(
    action: str,
    *,
    actor: User | AnonymousUser | None,
    obj: Model,
    board_id: int | None,
    request: HttpRequest | None,
    once: Mapping[str, Any],
    **detail: Any,
) -> bool:
    """Record that ``actor`` was handed ``obj`` (whole or any part), unless already recorded today.

    "Already" means an entry with the same action, person, object and ``once`` values (for
    example the version) since the start of the local day. The first delivery of the day is
    what the log attributes; the further ranges a reader fetches of the same file add
    nothing. Returns whether an entry was written.
    """
    user = actor if isinstance(actor, User) else None
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    earlier = AuditEvent.objects.filter(
        action=action,
        actor_id=user.pk if user else None,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.pk),
        at__gte=start,
        **{f"detail__{key}": value for key, value in once.items()},
    )
    if earlier.exists():
        return False
    with transaction.atomic():
        head = _lock_head()
        # Asked again under the lock: two ranges of one first open may arrive together.
        if earlier.exists():
            return False
        label = user.get_username() if user else ""
        _append(_entry(action, user, label, obj, board_id, request, {**once, **detail}), head)
    return True


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding, and why."""

    entry_id: int
    reason: str


def _walk(entries: Iterable[AuditEvent]) -> Iterator[Break]:
    key = audit_key()
    previous = previous_mac = GENESIS
    for entry in entries:
        if entry.prev_hash != previous:
            yield Break(entry.pk, "its previous-hash does not match the entry before it (a row removed or inserted)")
            return
        if entry_hash(entry) != entry.hash:
            yield Break(entry.pk, "its contents do not match its hash (the row was edited)")
            return
        if not hmac.compare_digest(seal(previous_mac, entry.hash, key), entry.mac):
            yield Break(
                entry.pk,
                "its seal does not match this installation's audit key "
                "(the log was rewritten without the key, or the key has changed)",
            )
            return
        previous, previous_mac = entry.hash, entry.mac
    head = AuditHead.objects.filter(pk=1).values_list("last_hash", "last_mac").first()
    if head is not None and head != (previous, previous_mac):
        yield Break(0, "the newest entries are missing (the chain's head names a later entry)")


def verify() -> Break | None:
    """The first broken link of the chain, or None if every entry holds."""
    return next(_walk(AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)), None)


# --- anchors: the head, signed and kept outside the database ---------------------------------


def _anchor_signature(fields: Mapping[str, Any], key: bytes) -> str:
    body = json.dumps({k: fields[k] for k in ANCHOR_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"anchor:" + body.encode(), hashlib.sha256).hexdigest()


ANCHOR_FIELDS = ("seq", "count", "hash", "mac", "at")


def anchor() -> dict[str, Any]:
    """The chain's head now (newest entry id, entry count, its hash and seal, time), signed."""
    newest = AuditEvent.objects.order_by("-pk").only("pk", "hash", "mac").first()
    fields: dict[str, Any] = {
        "seq": newest.pk if newest else 0,
        "count": AuditEvent.objects.filter(pk__lte=newest.pk).count() if newest else 0,
        "hash": newest.hash if newest else GENESIS,
        "mac": newest.mac if newest else GENESIS,
        "at": timezone.now().astimezone(dt.UTC).isoformat(),
    }
    return {**fields, "signature": _anchor_signature(fields, audit_key())}


def check_anchor(exported: Mapping[str, Any]) -> Break | None:
    """Whether the log still holds the head ``exported`` earlier, unchanged and with all before it.

    Catches what the chain alone cannot: the newest entries cut off and the head moved back.
    """
    if not all(k in exported for k in (*ANCHOR_FIELDS, "signature")):
        return Break(0, "the anchor file is not a Boardroom audit anchor")
    if not hmac.compare_digest(_anchor_signature(exported, audit_key()), str(exported["signature"])):
        return Break(0, "the anchor's signature does not match this installation's audit key")
    seq = exported["seq"]
    if not isinstance(seq, int) or seq == 0:
        return None
    entry = AuditEvent.objects.filter(pk=seq).values_list("hash", "mac").first()
    if entry is None:
        return Break(seq, "the anchored entry is gone (the newest entries were cut off)")
    if entry != (exported["hash"], exported["mac"]):
        return Break(seq, "the anchored entry differs from the one exported (the log was rewritten)")
    if AuditEvent.objects.filter(pk__lte=seq).count() != exported["count"]:
        return Break(seq, "the log holds a different number of entries up to the anchor (rows removed or inserted)")
    return None

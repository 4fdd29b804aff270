"""Cross-cutting records: the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log (see boardroom/audit.py).

    Each entry stores the hash of the one before it, so an edited, removed or inserted row
    breaks the chain at that point. Rows are never updated or deleted through the product.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the entry still says who it was if the account is later removed.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    board_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The keyed seal (HMAC with a key kept outside the database) over this hash and the
    # previous seal: recomputing the plain hashes cannot forge it (README, "The audit log").
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["board_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries cannot be deleted.")


class AuditHead(models.Model):
    """A single row holding the newest hash: writers lock it so the chain never forks."""

    last_hash = models.CharField(max_length=64)
    last_mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.last_hash


class Account(models.Model):
    """Per-person security state. Raising ``session_epoch`` signs the person out everywhere."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    session_epoch = models.PositiveIntegerField(default=0)
    # The secret in the person's calendar feed address; replaced when they ask for a new one.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    def __str__(self) -> str:
        return f"Account of {self.user}"

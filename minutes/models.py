"""Minutes of a meeting: per-item text, decisions and actions; approval, signature and archive PDFs.

A meeting has one ``Minutes``. Its life: draft → circulated (for comment) → approved (at a later
meeting, or by a written resolution) → signed by the chair, which locks it. After locking the text
never changes: corrections are ``Amendment`` rows, shown with the minutes and in a new, recorded
PDF revision.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaItem, Board, Meeting, Motion, Resolution


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CIRCULATED = "circulated", "Circulated for comment"
    APPROVED = "approved", "Approved, awaiting signature"
    SIGNED = "signed", "Signed and locked"


class ApprovalMethod(models.TextChoices):
    MEETING = "meeting", "Approved as an item at a later meeting"
    RESOLUTION = "resolution", "Approved by written resolution"


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(max_length=12, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    # Attendance, apologies, declarations, quorum and votes as they stood at circulation; until then
    # they are read live from the meeting's own records (never retyped).
    record = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    circulated_at = models.DateTimeField(null=True, blank=True)
    circulated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_method = models.CharField(max_length=12, choices=ApprovalMethod.choices, blank=True)
    approved_at_meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="minutes_approved"
    )
    approved_by_resolution = models.ForeignKey(
        Resolution, null=True, blank=True, on_delete=models.PROTECT, related_name="minutes_approved"
    )
    # The recorded electronic signature: who, when, and the SHA-256 of the document signed.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_name = models.CharField(max_length=300, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "minutes"

    def __str__(self) -> str:
        return f"Minutes of {self.meeting}"

    def get_absolute_url(self) -> str:
        return reverse("minutes", args=[self.meeting_id])

    @property
    def locked(self) -> bool:
        return self.status == MinutesStatus.SIGNED

    @property
    def editable(self) -> bool:
        return self.status == MinutesStatus.DRAFT


class ApprovalRoute(models.Model):
    """Where the board is asked to approve one set of minutes: an item on a later meeting's
    agenda, or a written resolution drafted for them. Only a route of these minutes can record
    their approval, so an unrelated item or resolution never can."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="approval_routes")
    item = models.OneToOneField(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="approves_minutes"
    )
    resolution = models.OneToOneField(
        Resolution, null=True, blank=True, on_delete=models.PROTECT, related_name="approves_minutes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=True, resolution__isnull=False)
                | models.Q(item__isnull=False, resolution__isnull=True),
                name="approvalroute_item_or_resolution",
            )
        ]

    def __str__(self) -> str:
        return f"Approval of {self.minutes} via {self.item or self.resolution}"


class MinuteItem(models.Model):
    """The minute of one agenda item. ``version`` rises with every save: a save made against an
    older version is refused (HTTP 409) and both texts are shown to merge."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="minute_entries")
    body = models.TextField(blank=True, help_text="Sanitised HTML")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "item__sort_key"]
        constraints = [models.UniqueConstraint(fields=["minutes", "item"], name="minuteitem_one_per_item")]

    def __str__(self) -> str:
        return f"Minute of {self.item}"


class Decision(models.Model):
    """A decision or resolution recorded under an item; from a closed vote or written by the secretary."""

    entry = models.ForeignKey(MinuteItem, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(max_length=4000)
    motion = models.ForeignKey(Motion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["entry", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "No longer needed"


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class ActionItem(models.Model):
    """An action agreed under an item: who does what by when. Tracked across meetings until done."""

    entry = models.ForeignKey(MinuteItem, on_delete=models.CASCADE, related_name="actions")
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    description = models.TextField(max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="minute_actions"
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    status_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The id the form was rendered with, so a double submit adds one action.
    client_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["board", "status"]), models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due is not None and self.due < timezone.localdate()


class Amendment(models.Model):
    """A correction to signed minutes: never an edit, always a new visible entry."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="amendments")
    entry = models.ForeignKey(MinuteItem, null=True, blank=True, on_delete=models.CASCADE, related_name="amendments")
    text = models.TextField(max_length=4000)
    reason = models.CharField(max_length=500, blank=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "made_at", "pk"]

    def __str__(self) -> str:
        return f"Amendment {self.pk} to {self.minutes}"


class MinutesComment(models.Model):
    """A member's comment on circulated draft minutes (plain text)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["minutes", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.minutes}"


def render_storage_key(instance: MinutesRender, filename: str) -> str:
    return f"minutes/{instance.minutes.meeting_id}/{uuid.uuid4().hex}.pdf"


class MinutesRender(models.Model):
    """One archived PDF/A of signed minutes. Never replaced: a new render is a new row.

    ``revision`` counts the document (1 at signing, +1 per amendment); ``cut`` names the set of
    items in the file (the full record, or a reader's view without Part B or recused items).
    """

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="renders")
    revision = models.PositiveIntegerField()
    cut = models.CharField(max_length=64)
    full = models.BooleanField(default=False, help_text="Holds every item: the official record")
    items = models.JSONField(default=list)
    file = models.FileField(upload_to=render_storage_key, max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    pdf_variant = models.CharField(max_length=16)
    content_sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=200, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "revision", "cut"], name="minutesrender_unique_cut"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} r{self.revision}"

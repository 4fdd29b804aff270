"""Questions and suggestions from the public on the public items of a meeting, and their moderation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from meetings.models import AgendaItem


class QuestionKind(models.TextChoices):
    QUESTION = "question", "A question"
    SUGGESTION = "suggestion", "A suggestion or idea"
    COMMENT = "comment", "A comment (praise or criticism)"


class QuestionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    APPROVED = "approved", "Published"
    REJECTED = "rejected", "Rejected"
    MERGED = "merged", "Merged into another"


class PublicQuestion(models.Model):
    """What a citizen sent about one public agenda item.

    The name and text are published once the secretary approves; the email never is (it is for
    the secretary to reply). ``sender_key`` is a keyed hash of the sender's address, kept only to
    limit how often one address may send. The answer, given in or after the meeting, is shown on
    the public meeting page; the minutes pull it from here (``public.selectors.answered_questions``).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="public_questions")
    kind = models.CharField(max_length=12, choices=QuestionKind.choices, default=QuestionKind.QUESTION)
    name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    text = models.TextField(max_length=2000)
    status = models.CharField(max_length=12, choices=QuestionStatus.choices, default=QuestionStatus.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was rejected (for the record)")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    answer = models.TextField(max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    sender_key = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "submitted_at", "pk"]
        indexes = [
            models.Index(fields=["sender_key", "submitted_at"]),
            models.Index(fields=["email", "submitted_at"]),
            models.Index(fields=["item", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False), name="publicquestion_merged_has_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.name} on {self.item}"

    @property
    def kind_label(self) -> str:
        """One word for the public page: Question, Suggestion, Comment."""
        return str(self.kind).capitalize()

    @property
    def is_published(self) -> bool:
        return self.status == QuestionStatus.APPROVED

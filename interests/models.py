"""The register of interests of a board: standing declarations kept across meetings.

A member registers what may conflict with the board's business ("Director of Mill Lane Ltd"),
with the words that name it in an agenda ("Mill Lane"). When an item of a published meeting is
tagged with an entry by the secretary, or its title or description contains one of those words,
the member is asked whether to declare; the declaration itself is an ordinary
``meetings.Declaration`` recorded by ``meetings.services.declaration_record``. Entries are ended,
never deleted: the register keeps its history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from meetings.models import AgendaItem, Board


class Category(models.TextChoices):
    """The headings of a UK council's register, kept short (docs/interests.md)."""

    EMPLOYMENT = "employment", "Employment, office, trade or profession"
    DIRECTORSHIP = "directorship", "Directorship"
    CONTRACTS = "contracts", "Contracts"
    PROPERTY = "property", "Land and property"
    SECURITIES = "securities", "Shareholdings and securities"
    SPONSORSHIP = "sponsorship", "Sponsorship"
    MEMBERSHIP = "membership", "Membership of other bodies"
    GIFTS = "gifts", "Gifts and hospitality"
    OTHER = "other", "Other"


class InterestQuerySet(models.QuerySet["Interest"]):
    def current(self) -> InterestQuerySet:
        return self.filter(ended_at__isnull=True)


class Interest(models.Model):
    """One entry of a board's register: a member's standing interest."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="interests")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    description = models.CharField(max_length=300, help_text="As it will read in the minutes when declared")
    keywords = models.JSONField(
        default=list, blank=True, help_text="Words or phrases matched, as whole words, against agenda items"
    )
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["board", "member__last_name", "member__first_name", "-registered_at"]
        indexes = [models.Index(fields=["board", "member", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.member}: {self.description}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class ItemInterestTag(models.Model):
    """The secretary's judgement that an agenda item concerns a registered interest."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="interest_tags")
    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="tags")
    tagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    tagged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "tagged_at"]
        constraints = [models.UniqueConstraint(fields=["item", "interest"], name="interest_tag_unique")]

    def __str__(self) -> str:
        return f"{self.item} ~ {self.interest}"


class Dismissal(models.Model):
    """A member's answer "not relevant" to a prompt: that interest, that item, not asked again."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at"]
        constraints = [models.UniqueConstraint(fields=["item", "interest"], name="interest_dismissal_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.interest} not relevant to {self.item}"

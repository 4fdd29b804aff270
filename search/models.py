"""The search index: one row per searchable thing (a page of a paper, an item's minute, a decision,
an action), with the columns the permission policy filters on.

The full-text part lives beside the row, made by the database: on PostgreSQL a stored, generated
``tsvector`` column (title weighted A, body B) with a GIN index; on SQLite an FTS5 table kept in
step by triggers. Both are created by this app's migrations for the database in use.
"""

from __future__ import annotations

from django.db import models

from documents.models import Paper
from meetings.models import AgendaItem, Board
from minutes.models import MinuteItem


class EntryKind(models.TextChoices):
    PAGE = "page", "Paper page"
    MINUTE = "minute", "Minute"
    DECISION = "decision", "Decision"
    ACTION = "action", "Action"


class SearchEntry(models.Model):
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    # The id of the thing indexed (PageText, MinuteItem, Decision or ActionItem).
    object_id = models.PositiveBigIntegerField()
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    page = models.PositiveIntegerField(null=True, blank=True)
    minute_item = models.ForeignKey(MinuteItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="searchentry_unique_object"),
            models.CheckConstraint(
                condition=models.Q(paper__isnull=False) | models.Q(minute_item__isnull=False),
                name="searchentry_page_or_minute",
            ),
        ]
        indexes = [models.Index(fields=["board", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"

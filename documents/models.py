"""Papers on agenda items and their versions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from meetings.models import AgendaItem


def version_storage_key(instance: PaperVersion, filename: str) -> str:
    """Server-made key: the uploaded name is kept only as metadata, never as a path."""
    return f"papers/{instance.paper_id}/{uuid.uuid4().hex}.pdf"


def original_storage_key(instance: PaperVersion, filename: str) -> str:
    return f"originals/{instance.paper_id}/{uuid.uuid4().hex}"


class Paper(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    current_version = models.OneToOneField(
        "PaperVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item", "position", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("paper_download", args=[self.pk])


class PaperVersion(models.Model):
    """One uploaded version of a paper: the original as received and the PDF members read."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=version_storage_key, max_length=300, help_text="PDF rendition members read")
    original = models.FileField(upload_to=original_storage_key, max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, default="application/pdf")
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True, help_text="What changed in this version")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "-number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="paperversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.paper.title} (v{self.number})"


class Comment(models.Model):
    """A comment on an agenda item, optionally on one page of a paper; replies nest one level."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="comments")
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    page = models.PositiveIntegerField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(max_length=5000)
    # The id the author's device gave the comment: a retried frame finds the stored comment.
    client_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["author", "client_id"], name="comment_unique_client_id")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.item}"

"""Papers on agenda items and their versions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaItem


def version_storage_key(instance: PaperVersion, filename: str) -> str:
    """Server-made key: the uploaded name is kept only as metadata, never as a path."""
    return f"papers/{instance.paper_id}/{uuid.uuid4().hex}.pdf"


def original_storage_key(instance: PaperVersion, filename: str) -> str:
    """Originals live apart from renditions, under a key that says nothing of the upload."""
    return f"originals/{instance.paper_id}/{uuid.uuid4().hex}"


def thumbnail_storage_key(paper_id: int, index: int) -> str:
    return f"thumbs/{paper_id}/{uuid.uuid4().hex}-{index}.webp"


class VersionStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    REFUSED = "refused", "Refused"


BIN_DAYS = 30


class PaperManager(models.Manager["Paper"]):
    """Papers on the agenda: a removed paper waits in the meeting's bin (``Paper.with_bin``) for
    ``BIN_DAYS`` and is out of every list, pack, search and download meanwhile."""

    def get_queryset(self) -> models.QuerySet[Paper]:
        return super().get_queryset().filter(removed_at__isnull=True)


class Paper(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    current_version = models.OneToOneField(
        "PaperVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set while the paper is in the bin (removed from the agenda, restorable until purged).
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    with_bin = models.Manager()  # every paper, those in the bin too (the bin and its purge only)
    objects = PaperManager()

    class Meta:
        ordering = ["item", "position", "pk"]
        default_manager_name = "objects"
        base_manager_name = "with_bin"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("paper_download", args=[self.pk])

    @property
    def is_ready(self) -> bool:
        """Members see a paper only once one of its versions has been checked and made current."""
        return self.current_version_id is not None

    def latest_version(self) -> PaperVersion | None:
        """The newest upload, whatever its status (for the secretary: processing, refused, ready)."""
        return self.versions.order_by("-number").first()


class PaperVersion(models.Model):
    """One uploaded version of a paper: the original as received and the PDF members read."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(
        upload_to=version_storage_key, max_length=300, blank=True, help_text="PDF rendition members read"
    )
    original = models.FileField(
        upload_to=original_storage_key, max_length=300, blank=True, help_text="As uploaded; never served to members"
    )
    original_name = models.CharField(max_length=255, blank=True)
    original_size = models.PositiveBigIntegerField(default=0)
    original_sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, default="application/pdf")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes of the rendition")
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the rendition")
    page_count = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True, help_text="What changed in this version")
    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.PROCESSING)
    refusal_reason = models.CharField(max_length=500, blank=True)
    # Which pages differ from the previous ready version (by their text): added, removed, changed.
    page_diff = models.JSONField(default=dict, blank=True)
    # Active content the clean rewrite left out ("JavaScript", "embedded files", ...).
    stripped = models.JSONField(default=list, blank=True)
    repaired = models.BooleanField(default=False)
    # "" (every page had text), "done", "unavailable" (no OCRmyPDF here) or "failed".
    ocr = models.CharField(max_length=20, blank=True)
    # {"width": 160, "sprites": [storage keys], "cells": [[sprite, x, y, w, h] per page]}
    thumbnails = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["paper", "-number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="paperversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.paper.title} (v{self.number})"

    @property
    def is_ready(self) -> bool:
        return self.status == VersionStatus.READY

    def stored_keys(self) -> list[str]:
        """Every object this version keeps in the file storage."""
        keys = [self.file.name or "", self.original.name or ""]
        keys += list((self.thumbnails or {}).get("sprites", []))
        return [key for key in keys if key]

    def thumbnail(self, page: int) -> tuple[str, int, int, int, int] | None:
        """(sprite storage key, x, y, width, height) of page ``page`` (1-based), if made."""
        thumbs = self.thumbnails or {}
        cells = thumbs.get("cells", [])
        if not 1 <= page <= len(cells):
            return None
        sprite, x, y, w, h = cells[page - 1]
        return thumbs["sprites"][sprite], x, y, w, h


class PageText(models.Model):
    """The text of one page of a version, for search and for the page diff of the next one."""

    version = models.ForeignKey(PaperVersion, on_delete=models.CASCADE, related_name="page_texts")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="pagetext_unique_number")]

    def __str__(self) -> str:
        return f"{self.version} p{self.number}"


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


class PaperRead(models.Model):
    """A read receipt: who opened which paper, first and last, and which version they last saw."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_reads")
    first_opened_at = models.DateTimeField(auto_now_add=True)
    last_opened_at = models.DateTimeField(auto_now=True)
    last_version = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "user"], name="paperread_one_per_person")]

    def __str__(self) -> str:
        return f"{self.user} read {self.paper}"


class VersionRead(models.Model):
    """Who opened which version of a paper, first and last: answers "who has not read v2 yet?"."""

    version = models.ForeignKey(PaperVersion, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="version_reads")
    first_opened_at = models.DateTimeField(default=timezone.now)
    last_opened_at = models.DateTimeField(default=timezone.now)
    opens = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="versionread_one_per_person")]

    def __str__(self) -> str:
        return f"{self.user} read {self.version}"


def pack_storage_key(instance: PackCopy, filename: str) -> str:
    return f"packs/{instance.pack.meeting_id}/{uuid.uuid4().hex}.pdf"


class PackStatus(models.TextChoices):
    BUILDING = "building", "Compiling"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class BoardPack(models.Model):
    """One revision of a meeting's board pack: what went into it and how its pages are numbered.

    The manifest lists the agenda and every ready paper version in order; its hash keys the
    build, so an unchanged meeting is never compiled twice. Each reader gets a cut of it (a
    ``PackCopy``) holding only the items they may see.
    """

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="packs")
    revision = models.PositiveIntegerField()
    inputs = models.CharField(max_length=64, help_text="SHA-256 of the manifest")
    manifest = models.JSONField(default=dict)
    # Papers added after the pack was first published are numbered into the gaps ("supplement")
    # or the pack is renumbered ("reissue"), as the board chose when this revision was built.
    additions = models.CharField(max_length=12, blank=True)
    # The revision whose numbering later supplements keep: the first published one somebody
    # opened (until then nobody holds a page number, and a new build simply renumbers).
    baseline = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_read_at = models.DateTimeField(null=True, blank=True, help_text="When a reader first opened it")
    published = models.BooleanField(default=False, help_text="Built while the meeting was published")
    status = models.CharField(max_length=12, choices=PackStatus.choices, default=PackStatus.BUILDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done while compiling")
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "-revision"]
        constraints = [models.UniqueConstraint(fields=["meeting", "revision"], name="boardpack_unique_revision")]

    def __str__(self) -> str:
        return f"Pack r{self.revision} of {self.meeting}"


class PackCopy(models.Model):
    """A compiled file of one pack revision for the readers who see the same items.

    ``cut`` names the set of agenda items in it; a watermarked copy also names its reader.
    """

    pack = models.ForeignKey(BoardPack, on_delete=models.CASCADE, related_name="copies")
    cut = models.CharField(max_length=64)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(upload_to=pack_storage_key, max_length=300)
    pages = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    # {"papers": {paper id: {"first": index, "labels": [...]}}, "items": {item id: index}, "last": M}
    page_map = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "cut"], condition=models.Q(reader__isnull=True), name="packcopy_one_per_cut"
            ),
            models.UniqueConstraint(
                fields=["pack", "cut", "reader"],
                condition=models.Q(reader__isnull=False),
                name="packcopy_one_per_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pack} ({self.cut[:8]})"


class AnnotationKind(models.TextChoices):
    HIGHLIGHT = "highlight", "Highlight"
    INK = "ink", "Ink"
    NOTE = "note", "Note"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Only me"
    SHARED = "shared", "The board"


class Annotation(models.Model):
    """A reader's mark on one version of a paper, anchored as a W3C Web Annotation target.

    The anchor is the page (1-based), rectangles on it in PDF points (x, y from the bottom left,
    width, height, in the page's user space), and for text: the quote (exact, prefix, suffix)
    and its position in the page's text. Ink keeps its strokes in the same coordinates. When the
    paper gets a new version, the annotation is carried to it (re-anchored by its quote) as a
    new row pointing back here; one that cannot be placed is kept as ``orphaned``.
    """

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="annotations")
    version = models.ForeignKey(PaperVersion, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations")
    kind = models.CharField(max_length=12, choices=AnnotationKind.choices)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    page = models.PositiveIntegerField()
    rects = models.JSONField(default=list, blank=True)  # [[x, y, w, h], ...]
    ink = models.JSONField(default=list, blank=True)  # [[[x, y], ...], ...] strokes
    quote_exact = models.TextField(blank=True, max_length=4000)
    quote_prefix = models.CharField(max_length=200, blank=True)
    quote_suffix = models.CharField(max_length=200, blank=True)
    text_start = models.IntegerField(null=True, blank=True)
    text_end = models.IntegerField(null=True, blank=True)
    body = models.TextField(blank=True, max_length=5000)
    color = models.CharField(max_length=7, default="#ffd400")
    # The id the author's device gave it: an offline device retrying the same save finds it.
    client_id = models.UUIDField()
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )
    orphaned = models.BooleanField(default=False, help_text="Its text could not be found in this version")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "page", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="annotation_unique_client_id"),
        ]
        indexes = [models.Index(fields=["version", "author"]), models.Index(fields=["version", "visibility"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.paper} p{self.page}"

"""Writes for papers and their versions."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import Any

import pikepdf
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import events, frames
from meetings.models import AgendaItem

from .models import Comment, Paper, PaperVersion


def pdf_page_count(data: bytes) -> int:
    """Pages in a PDF, or a ValidationError that says why it cannot be read."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise ValidationError("This PDF is password-protected: remove the password and upload again.") from None
    except pikepdf.PdfError:
        raise ValidationError("This file is not a readable PDF.") from None
    if pages == 0:
        raise ValidationError("This PDF has no pages.")
    return pages


@transaction.atomic
def paper_create(*, actor: User | None, item: AgendaItem, title: str) -> Paper:
    if actor is None or not policy.can(actor, Action.MANAGE, item):
        raise PermissionDenied("Not allowed to add papers to this item.")
    last = Paper.objects.filter(item=item).aggregate(m=Max("position"))["m"] or 0
    paper = Paper(item=item, title=title, position=last + 1, created_by=actor)
    paper.full_clean()
    paper.save()
    return paper


@transaction.atomic
def paper_version_add(
    *, actor: User | None, paper: Paper, data: bytes, original_name: str = "", note: str = ""
) -> PaperVersion:
    """Store a new PDF version of ``paper`` and make it current.

    The file's checksum and page count are recorded; the name it arrived with is kept only as
    metadata (the storage key is made by the server).
    """
    if actor is None or not policy.can(actor, Action.MANAGE, paper):
        raise PermissionDenied("Not allowed to upload to this paper.")
    if not data.startswith(b"%PDF-"):
        raise ValidationError("Only PDF files can be added here.")
    pages = pdf_page_count(data)
    paper = Paper.objects.select_for_update().get(pk=paper.pk)
    number = (paper.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = PaperVersion(
        paper=paper,
        number=number,
        original_name=original_name[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=pages,
        note=note,
        uploaded_by=actor,
    )
    version.file.save("paper.pdf", ContentFile(data), save=False)
    version.save()
    paper.current_version = version
    paper.save(update_fields=["current_version"])
    audit.record(
        "paper.uploaded",
        actor=actor,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        version=number,
        sha256=version.sha256,
        pages=pages,
        size=len(data),
    )
    return version


# --- comments --------------------------------------------------------------------------------

COMMENT_MAX_CHARS = 5000


def comment_data(comment: Comment) -> dict[str, Any]:
    """The public shape of a comment, as acknowledged and broadcast."""
    author = comment.author
    return {
        "id": comment.pk,
        "item": comment.item_id,
        "paper": comment.paper_id,
        "page": comment.page,
        "parent": comment.parent_id,
        "body": "" if comment.deleted_at else comment.body,
        "author": {"id": author.pk, "name": author.get_full_name() or author.get_username()},
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "deleted": comment.deleted_at is not None,
        "client_id": str(comment.client_id),
    }


@transaction.atomic
def comment_create(
    *,
    actor: User,
    item: AgendaItem,
    body: str,
    client_id: uuid.UUID,
    parent: Comment | None = None,
    paper: Paper | None = None,
    page: int | None = None,
) -> Comment:
    """Post a comment on an item (or a page of one of its papers) and log ``comment.created``.

    Idempotent on (author, ``client_id``): a retried request returns the stored comment and
    logs nothing new. Replies nest one level under a comment on the same item.
    """
    existing = Comment.objects.filter(author=actor, client_id=client_id).select_related("author").first()
    if existing is not None:
        return existing
    policy.forget(actor)
    if not policy.can(actor, Action.PARTICIPATE, item):
        raise PermissionDenied("Not allowed to comment on this item.")
    body = body.strip()
    if not body:
        raise ValidationError("A comment needs some text.")
    if len(body) > COMMENT_MAX_CHARS:
        raise ValidationError(f"Comments are limited to {COMMENT_MAX_CHARS} characters.")
    if parent is not None:
        if parent.item_id != item.pk:
            raise ValidationError("A reply belongs to the same item as its comment.")
        if parent.parent_id is not None:
            raise ValidationError("Replies go one level deep: reply to the first comment.")
    if paper is not None:
        if paper.item_id != item.pk:
            raise ValidationError("That paper belongs to another item.")
        version = paper.current_version
        if page is not None and (version is None or not 1 <= page <= version.page_count):
            raise ValidationError("That page is not in the paper.")
    elif page is not None:
        raise ValidationError("A page needs a paper.")
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                item=item, paper=paper, page=page, parent=parent, author=actor, body=body, client_id=client_id
            )
    except IntegrityError:
        # The same frame arrived twice at once and the other copy won: acknowledge that one.
        return Comment.objects.select_related("author").get(author=actor, client_id=client_id)
    events.event_record(
        meeting=item.meeting, type="comment.created", data=comment_data(comment), actor=actor, item=item
    )
    return comment


def comment_create_from_frame(
    *, actor: User, meeting_id: int, frame: dict[str, Any], client_id: uuid.UUID
) -> dict[str, Any]:
    """Read a ``comment.create`` socket frame, post the comment, and return its public shape.

    Objects the user may not see are reported as forbidden, never as missing.
    """
    body = frame.get("body")
    if not isinstance(body, str):
        raise ValidationError('"body" must be text.')
    item_id = frames.required_int(frame, "item")
    parent_id, paper_id, page = (frames.optional_int(frame, k) for k in ("parent", "paper", "page"))
    items = policy.visible(actor, AgendaItem.objects.filter(meeting_id=meeting_id)).select_related("meeting")
    item = items.filter(pk=item_id).first()
    if item is None:
        raise PermissionDenied("No such item.")
    parent = Comment.objects.filter(pk=parent_id, item=item, deleted_at__isnull=True).first() if parent_id else None
    if parent_id and parent is None:
        raise ValidationError("The comment you are replying to is not on this item.")
    paper = None
    if paper_id is not None:
        paper = Paper.objects.filter(pk=paper_id, item=item).select_related("current_version").first()
        if paper is None:
            raise ValidationError("That paper is not on this item.")
    comment = comment_create(
        actor=actor, item=item, body=body, client_id=client_id, parent=parent, paper=paper, page=page
    )
    return comment_data(comment)

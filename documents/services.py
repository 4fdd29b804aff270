"""Writes for papers and their versions."""

from __future__ import annotations

import hashlib
import io

import pikepdf
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from boardroom import policy
from boardroom.policy import Action
from meetings.models import AgendaItem

from .models import Paper, PaperVersion


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
    return version

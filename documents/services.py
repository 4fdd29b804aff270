"""Writes for papers and their versions."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import pikepdf
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import events, frames
from meetings.models import AgendaItem, MeetingStatus
from search import tasks as search_tasks

from . import ingest, packs
from .models import BIN_DAYS, Comment, PageText, Paper, PaperVersion, VersionStatus

logger = logging.getLogger(__name__)


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
    return _paper_new(actor=actor, item=item, title=title)


def _paper_new(*, actor: User, item: AgendaItem, title: str) -> Paper:
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
        status=VersionStatus.READY,
        processed_at=timezone.now(),
    )
    version.file.save("paper.pdf", ContentFile(data), save=False)
    texts = _trusted_page_texts(data)
    previous = _previous_ready(paper, number)
    if previous is not None:
        version.page_diff = page_diff(_texts_of(previous), texts, previous=previous.number)
    version.save()
    PageText.objects.bulk_create(PageText(version=version, number=n, text=t) for n, t in enumerate(texts, 1))
    paper.current_version = version
    paper.save(update_fields=["current_version"])
    _announce_version(paper, version)
    packs.schedule(paper.item.meeting)
    _schedule_carry(paper.pk)
    search_tasks.schedule_paper(paper.pk)
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


def _trusted_page_texts(data: bytes) -> list[str]:
    """Page texts of a PDF this process made or already trusts (seed data, tests)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(ingest._clean_text(textpage.get_text_bounded()))
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


# --- uploads ---------------------------------------------------------------------------------


class Upload(Protocol):
    """What ``paper_upload`` reads: a Django ``UploadedFile``, or any binary file object (its
    ``name`` and ``size`` attributes are used where present)."""

    def read(self, n: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


SNIFF_BYTES = 8192


def _upload_size(uploaded: Upload) -> int:
    size = getattr(uploaded, "size", None)
    if size is None:
        uploaded.seek(0, io.SEEK_END)
        size = uploaded.tell()
    uploaded.seek(0)
    return int(size)


def paper_upload(
    *,
    actor: User | None,
    item: AgendaItem,
    title: str,
    uploaded: Upload,
    note: str = "",
    paper: Paper | None = None,
) -> PaperVersion:
    """Receive a paper (or, with ``paper``, a new version of one) for checking in the background.

    Preconditions: ``actor`` may manage ``item``. Refused at once with a ValidationError, and
    nothing stored: an empty file, one over ``BOARDROOM_MAX_UPLOAD_BYTES`` (checked before the
    body is read), one whose first bytes are not a PDF, an Office (OOXML/ODF) ZIP or a legacy
    Office (OLE2) file. The upload's name is metadata only.

    Effects: the original is stored under a server-made key apart from the renditions; a
    ``PaperVersion`` numbered after the paper's last one is made with status ``processing``
    (the paper too, when ``paper`` is None) and, after commit, the ingest task is queued. The
    task makes the version ready (and current) or refused with a reason; see
    ``documents.tasks``.
    """
    if actor is None or not policy.can(actor, Action.MANAGE, item):
        raise PermissionDenied("Not allowed to add papers to this item.")
    if paper is not None and (paper.item_id != item.pk or not policy.can(actor, Action.MANAGE, paper)):
        raise PermissionDenied("Not allowed to upload to this paper.")
    title = (title or "").strip()
    if paper is None and not title:
        raise ValidationError("A paper needs a title.")
    name = ingest.clean_name(str(getattr(uploaded, "name", "") or ""))
    size = _upload_size(uploaded)
    limit: int = settings.BOARDROOM_MAX_UPLOAD_BYTES
    if size == 0:
        raise ValidationError("This file is empty (0 bytes): upload the paper again.")
    if size > limit:
        raise ValidationError(ingest.too_large(size, limit))
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    try:
        kind = ingest.sniff(head)
    except ingest.Refusal as refusal:
        raise ValidationError(str(refusal)) from None
    content_type = {ingest.PDF: "application/pdf", ingest.ZIP: "application/zip"}.get(kind, "application/x-ole-storage")
    stored: list[str] = []
    try:
        with transaction.atomic():
            if paper is None:
                paper = _paper_new(actor=actor, item=item, title=title)
            paper = Paper.objects.select_for_update().select_related("item__meeting").get(pk=paper.pk)
            if title and title != paper.title:
                paper.title = title
                paper.save(update_fields=["title"])
                packs.schedule(item.meeting)
            number = (paper.versions.aggregate(m=Max("number"))["m"] or 0) + 1
            version = PaperVersion(
                paper=paper,
                number=number,
                original_name=name,
                original_size=size,
                content_type=content_type,
                note=note.strip()[:500],
                uploaded_by=actor,
                status=VersionStatus.PROCESSING,
            )
            version.original.save("original", _LimitedFile(uploaded, limit, name), save=False)
            stored.append(version.original.name or "")
            version.save()
            audit.record(
                "paper.upload",
                actor=actor,
                obj=paper,
                board_id=paper.item.meeting.board_id,
                version=number,
                size=size,
                kind=kind,
            )
            version_id = version.pk
            transaction.on_commit(lambda: _enqueue_ingest(version_id))
    except BaseException:
        delete_stored(stored)
        raise
    return version


class _LimitedFile(File):  # type: ignore[type-arg]
    """The upload as Django storage reads it, refusing to read past the size limit."""

    def __init__(self, uploaded: Upload, limit: int, name: str) -> None:
        super().__init__(uploaded, name=name)  # type: ignore[arg-type]
        self._source = uploaded
        self._limit = limit

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        read = 0
        self._source.seek(0)
        while data := self._source.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            read += len(data)
            if read > self._limit:
                raise ValidationError(ingest.too_large(read, self._limit))
            yield data

    def read(self, n: int = -1) -> bytes:  # boto3 reads the file object itself
        data = self._source.read(n)
        if self._source.tell() > self._limit:
            raise ValidationError(ingest.too_large(self._source.tell(), self._limit))
        return data


def _schedule_carry(paper_id: int) -> None:
    """After commit, carry the paper's annotations onto its new current version."""

    def enqueue() -> None:
        from .tasks import carry_annotations

        try:
            carry_annotations.enqueue(paper_id)
        except Exception:  # noqa: BLE001 — the version is committed; a later save carries them
            logger.exception("Could not queue carrying annotations of paper %s", paper_id)

    transaction.on_commit(enqueue)


def _enqueue_ingest(version_id: int) -> None:
    from .tasks import ingest_version

    ingest_version.enqueue(version_id)


def delete_stored(keys: Iterable[str]) -> None:
    """Delete stored objects, logging (not raising) what could not be removed."""
    for key in keys:
        if not key:
            continue
        try:
            default_storage.delete(key)
        except Exception:  # a storage outage must not hide the refusal itself
            logger.exception("Could not delete stored object %s", key)


def _previous_ready(paper: Paper, number: int) -> PaperVersion | None:
    return (
        PaperVersion.objects.filter(paper=paper, status=VersionStatus.READY, number__lt=number)
        .order_by("-number")
        .first()
    )


def _texts_of(version: PaperVersion) -> list[str]:
    return list(version.page_texts.order_by("number").values_list("text", flat=True))


def page_diff(old: Sequence[str], new: Sequence[str], *, previous: int) -> dict[str, Any]:
    """Which pages of the new version differ from the old one, by their text.

    Pages are matched as a sequence (an inserted page does not make every later page
    "changed"). Page numbers are 1-based: ``added`` and ``changed`` in the new version,
    ``removed`` in the old one. Pages without text (scans that were not OCR'd) compare equal.
    """

    def norm(text: str) -> str:
        return " ".join(text.split())

    matcher = difflib.SequenceMatcher(None, [norm(t) for t in old], [norm(t) for t in new], autojunk=False)
    added: list[int] = []
    removed: list[int] = []
    changed: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            paired = min(i2 - i1, j2 - j1)
            changed += range(j1 + 1, j1 + paired + 1)
            added += range(j1 + paired + 1, j2 + 1)
            removed += range(i1 + paired + 1, i2 + 1)
        elif tag == "insert":
            added += range(j1 + 1, j2 + 1)
        elif tag == "delete":
            removed += range(i1 + 1, i2 + 1)
    return {
        "previous": previous,
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": len(new) - len(added) - len(changed),
    }


def title_from_name(name: str) -> str:
    """A paper's title from its file name when nobody typed one: "2026-03_Finance_report.pdf"
    becomes "2026-03 Finance report" (until the document's own title is known)."""
    stem = (name or "Paper").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").split())[:300] or "Paper"


# Titles that word processors write for documents nobody named.
_NO_TITLE = re.compile(
    r"^(untitled|document\d*|microsoft (word|powerpoint|excel) - .*|.*\.(docx?|pdf|pptx?|xlsx?|odt))$", re.I
)


def own_title(metadata_title: str, texts: Sequence[str]) -> str:
    """The document's own title: its metadata title unless that is a placeholder, else the
    first line of its first page that reads like a heading (letters, at most 150 characters)."""
    candidate = " ".join((metadata_title or "").split())
    if candidate and not _NO_TITLE.match(candidate) and any(ch.isalpha() for ch in candidate):
        return candidate[:300]
    first_page = texts[0] if texts else ""
    for line in first_page.splitlines():
        line = " ".join(line.split())
        if 3 <= len(line) <= 150 and sum(ch.isalpha() for ch in line) >= 3:
            return line
    return ""


@transaction.atomic
def paper_version_ready(
    *,
    version: PaperVersion,
    texts: Sequence[str],
    sha256: str,
    size: int,
    stripped: Sequence[str] = (),
    repaired: bool = False,
    ocr: str = "",
    thumbnails: dict[str, Any] | None = None,
    original_sha256: str = "",
    document_title: str = "",
) -> PaperVersion:
    """Record a checked version (its rendition already stored in ``version.file``) as ready.

    Run by the ingest task. Stores the page texts, the page diff against the previous ready
    version, and makes this version current unless a newer one already is. A first version whose
    paper is still called after its file takes the document's own title (``document_title``, from
    its metadata) or, failing that, its first line.
    """
    paper = Paper.objects.select_for_update().select_related("item__meeting").get(pk=version.paper_id)
    if version.number == 1 and paper.title == title_from_name(version.original_name):
        better = own_title(document_title, texts)
        if better:
            paper.title = better
            paper.save(update_fields=["title"])
    previous = _previous_ready(paper, version.number)
    version.page_diff = page_diff(_texts_of(previous), texts, previous=previous.number) if previous else {}
    version.status = VersionStatus.READY
    version.refusal_reason = ""
    version.page_count = len(texts)
    version.sha256 = sha256
    version.size = size
    version.stripped = list(stripped)
    version.repaired = repaired
    version.ocr = ocr
    version.thumbnails = thumbnails or {}
    version.original_sha256 = original_sha256 or version.original_sha256
    version.processed_at = timezone.now()
    version.save()
    PageText.objects.bulk_create(PageText(version=version, number=n, text=t) for n, t in enumerate(texts, 1))
    current = paper.current_version
    if current is None or current.number < version.number:
        paper.current_version = version
        paper.save(update_fields=["current_version"])
        _announce_version(paper, version)
        packs.schedule(paper.item.meeting)
        _schedule_carry(paper.pk)
        search_tasks.schedule_paper(paper.pk)
    audit.record(
        "paper.ready",
        actor_label="ingest",
        obj=paper,
        board_id=paper.item.meeting.board_id,
        version=version.number,
        sha256=sha256,
        pages=len(texts),
        size=size,
        stripped=list(stripped),
    )
    return version


@transaction.atomic
def paper_version_refuse(*, version: PaperVersion, reason: str) -> PaperVersion:
    """Mark a version refused with ``reason`` and delete everything it had stored (after commit).

    The paper keeps its current version (if any): a refused replacement changes nothing members
    see. A paper whose only upload was refused has no current version and is not shown to them.
    """
    paper = Paper.objects.select_related("item__meeting").get(pk=version.paper_id)
    keys = version.stored_keys()
    version.status = VersionStatus.REFUSED
    version.refusal_reason = reason[:500]
    version.file.name = ""
    version.original.name = ""
    version.thumbnails = {}
    version.processed_at = timezone.now()
    version.save()
    PageText.objects.filter(version=version).delete()
    audit.record(
        "paper.refused",
        actor_label="ingest",
        obj=paper,
        board_id=paper.item.meeting.board_id,
        version=version.number,
        reason=version.refusal_reason,
    )
    transaction.on_commit(lambda: delete_stored(keys))
    return version


@transaction.atomic
def paper_remove(*, actor: User | None, paper: Paper) -> Paper:
    """Take a paper off the agenda into the meeting's bin: out of every list, pack, search and
    download at once, restorable for ``BIN_DAYS`` days, then deleted with its files."""
    if actor is None or not policy.can(actor, Action.MANAGE, paper):
        raise PermissionDenied("Not allowed to remove this paper.")
    meeting = paper.item.meeting
    updated = Paper.objects.filter(pk=paper.pk, removed_at__isnull=True).update(
        removed_at=timezone.now(), removed_by=actor
    )
    if updated:  # a second tap on Remove changes nothing
        audit.record("paper.removed", actor=actor, obj=paper, board_id=meeting.board_id, title=paper.title)
        search_tasks.schedule_paper(paper.pk)  # no longer on the agenda: its entries go
        packs.schedule(meeting)
    paper.refresh_from_db()
    return paper


@transaction.atomic
def paper_restore(*, actor: User | None, paper: Paper) -> Paper:
    """Put a paper from the bin back on its item, as the last of its papers."""
    meeting = paper.item.meeting
    if actor is None or not policy.can(actor, Action.MANAGE, meeting):
        raise PermissionDenied("Not allowed to restore this paper.")
    if paper.removed_at is None:
        return paper
    if not AgendaItem.objects.filter(pk=paper.item_id).exists():
        raise ValidationError("Its agenda item was deleted, so the paper cannot go back.")
    last = Paper.objects.filter(item_id=paper.item_id).aggregate(top=Max("position"))["top"] or 0
    Paper.with_bin.filter(pk=paper.pk).update(removed_at=None, removed_by=None, position=last + 1)
    audit.record("paper.restored", actor=actor, obj=paper, board_id=meeting.board_id, title=paper.title)
    search_tasks.schedule_paper(paper.pk)
    packs.schedule(meeting)
    paper.refresh_from_db()
    return paper


def binned_papers(meeting: Any) -> list[Paper]:
    """The meeting's papers in the bin, most recently removed first (for those who manage it)."""
    return list(
        Paper.with_bin.filter(item__meeting=meeting, removed_at__isnull=False)
        .select_related("item", "removed_by", "current_version")
        .order_by("-removed_at")
    )


@transaction.atomic
def paper_delete(*, actor: User | None, paper: Paper) -> None:
    """Delete a paper for good, with all its versions and every stored file (after commit):
    "Delete now" in the bin, or the bin's purge (``actor`` None) when its days are up."""
    meeting = paper.item.meeting
    if actor is not None:
        allowed = policy.can(actor, Action.MANAGE, meeting if paper.removed_at is not None else paper)
        if not allowed:
            raise PermissionDenied("Not allowed to remove this paper.")
    keys = [key for version in paper.versions.all() for key in version.stored_keys()]
    board_id = meeting.board_id
    label = "" if actor else "bin"
    audit.record("paper.deleted", actor=actor, actor_label=label, obj=paper, board_id=board_id, title=paper.title)
    Paper.with_bin.filter(pk=paper.pk).update(current_version=None)
    was_on_agenda = paper.removed_at is None
    paper.delete()
    if was_on_agenda:
        packs.schedule(meeting)
    transaction.on_commit(lambda: delete_stored(keys))


def purge_bin(*, now: dt.datetime | None = None) -> int:
    """Delete the papers that have been in a bin for ``BIN_DAYS`` days; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=BIN_DAYS)
    count = 0
    for paper in Paper.with_bin.filter(removed_at__lt=cutoff).select_related("item__meeting"):
        paper_delete(actor=None, paper=paper)
        count += 1
    return count


@transaction.atomic
def paper_move(*, actor: User | None, paper: Paper, direction: str) -> list[Paper]:
    """Move a paper up or down among its item's papers (the order members read them in)."""
    if actor is None or not policy.can(actor, Action.MANAGE, paper):
        raise PermissionDenied("Not allowed to reorder these papers.")
    if direction not in ("up", "down"):
        raise ValidationError("Unknown move.")
    papers = list(Paper.objects.select_for_update().filter(item_id=paper.item_id).order_by("position", "pk"))
    index = next(i for i, p in enumerate(papers) if p.pk == paper.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(papers):
        papers[index], papers[target] = papers[target], papers[index]
        for position, each in enumerate(papers, start=1):
            each.position = position
        Paper.objects.bulk_update(papers, ["position"])
        packs.schedule(paper.item.meeting)
    return papers


def upload_status(version: PaperVersion) -> dict[str, Any]:
    """What the secretary's builder shows for one upload: status, reason, what was removed."""
    return {
        "version": version.number,
        "status": version.status,
        "reason": version.refusal_reason,
        "pages": version.page_count,
        "stripped": list(version.stripped or []),
        "repaired": version.repaired,
        "ocr": version.ocr,
        "page_diff": version.page_diff,
        "note": version.note,
        "name": version.original_name,
    }


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
    mentioned = _mentioned(item, body, actor)
    events.event_record(
        meeting=item.meeting,
        type="comment.created",
        data={**comment_data(comment), "mentions": [user.pk for user in mentioned]},
        actor=actor,
        item=item,
    )
    if mentioned:
        from meetings import notices

        who = actor.get_full_name() or actor.get_username()
        notices.notify(
            meeting=item.meeting,
            kind="mentioned",
            users=mentioned,
            text=f"{who} mentioned you in a comment on item {item.number}: {item.title}.",
            item=item,
        )
    return comment


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")
COMMENT_EDIT_WINDOW = dt.timedelta(minutes=10)


def _mentioned(item: AgendaItem, body: str, actor: User) -> list[User]:
    """The people named as @username who may see the item (others are plain text)."""
    names = {name.rstrip(".").lower() for name in MENTION.findall(body)}
    if not names:
        return []
    return [u for u in policy.audience(item) if u.get_username().lower() in names and u.pk != actor.pk]


def _change_own_comment(
    actor: User, comment: Comment, client_id: uuid.UUID | None, event: str, **changes: Any
) -> Comment:
    """Apply the author's change to a comment of the last ten minutes and log ``event``.

    Idempotent on ``client_id``: a retried frame finds its event and changes nothing.
    """
    comment = Comment.objects.select_for_update().select_related("item__meeting", "author").get(pk=comment.pk)
    if events.event_for_client_id(actor, client_id) is not None:
        return comment
    if comment.author_id != actor.pk:
        raise PermissionDenied("Only the author can change a comment.")
    if comment.deleted_at is not None:
        raise ValidationError("That comment was deleted.")
    if timezone.now() - comment.created_at > COMMENT_EDIT_WINDOW:
        raise ValidationError("Comments can be changed for ten minutes after posting.")
    policy.forget(actor)
    if not policy.can(actor, Action.PARTICIPATE, comment.item):
        raise PermissionDenied("You may no longer comment on this item.")
    for name, value in changes.items():
        setattr(comment, name, value)
    comment.save(update_fields=list(changes))
    events.event_record(
        meeting=comment.item.meeting,
        type=event,
        data=comment_data(comment),
        actor=actor,
        item=comment.item,
        client_id=client_id,
    )
    return comment


@transaction.atomic
def comment_edit(*, actor: User, comment: Comment, body: str, client_id: uuid.UUID | None = None) -> Comment:
    """The author corrects their comment within ten minutes; everyone who saw it sees the change."""
    body = body.strip()
    if not body:
        raise ValidationError("A comment needs some text (or delete it).")
    if len(body) > COMMENT_MAX_CHARS:
        raise ValidationError(f"Comments are limited to {COMMENT_MAX_CHARS} characters.")
    return _change_own_comment(actor, comment, client_id, "comment.edited", body=body, edited_at=timezone.now())


@transaction.atomic
def comment_delete(*, actor: User, comment: Comment, client_id: uuid.UUID | None = None) -> Comment:
    """The author withdraws their comment within ten minutes; its text is gone for everyone."""
    return _change_own_comment(actor, comment, client_id, "comment.deleted", body="", deleted_at=timezone.now())


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


def _announce_version(paper: Paper, version: PaperVersion) -> None:
    """Members of a published meeting hear of a new or updated paper: live, and as a notice."""
    from meetings import notices

    item = paper.item
    meeting = item.meeting
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE):
        return
    data = {
        "paper": paper.pk,
        "item": item.pk,
        "title": paper.title,
        "version": version.number,
        "pages": version.page_count,
        "note": version.note,
        "page_diff": version.page_diff,
    }
    events.event_record(meeting=meeting, type="paper.updated", data=data, item=item)
    if version.number == 1:
        text = f"New paper for item {item.number}: {paper.title}."
    else:
        text = f"{paper.title} (item {item.number}) was updated to version {version.number}"
        text += f": {version.note}" if version.note else "."
    people = policy.audience(paper)
    if version.uploaded_by_id:
        people = people.exclude(pk=version.uploaded_by_id)
    notices.notify(meeting=meeting, kind="papers_changed", text=text, users=people, item=item)

"""Annotations: made in the reader, kept on the server, carried to each new version of a paper.

A private annotation is its author's alone; a shared one is seen by whoever may read the paper
(the policy decides) and travels live on the meeting socket. Saves are idempotent by the
client id the device gave the annotation, so an offline device can retry safely.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import events
from meetings.models import MeetingStatus

from . import anchoring
from .localfiles import local_path
from .models import Annotation, AnnotationKind, Paper, PaperVersion, VersionStatus, Visibility

logger = logging.getLogger(__name__)

MAX_RECTS = 400
MAX_STROKES = 300
MAX_POINTS = 4000
COORD_LIMIT = 20000.0
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- validation ------------------------------------------------------------------------------


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{what} must be a number.")
    if abs(value) > COORD_LIMIT:
        raise ValidationError(f"{what} is outside the page.")
    return round(float(value), 2)


def _rects(value: Any) -> list[list[float]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_RECTS:
        raise ValidationError(f"rects must be a list of at most {MAX_RECTS} rectangles.")
    rects = []
    for rect in value:
        if not isinstance(rect, list) or len(rect) != 4:
            raise ValidationError("Each rectangle is [x, y, width, height].")
        x, y, w, h = (_number(v, "A rectangle") for v in rect)
        if w < 0 or h < 0:
            raise ValidationError("A rectangle cannot have a negative size.")
        rects.append([x, y, w, h])
    return rects


def _ink(value: Any) -> list[list[list[float]]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_STROKES:
        raise ValidationError(f"ink must be a list of at most {MAX_STROKES} strokes.")
    strokes, points = [], 0
    for stroke in value:
        if not isinstance(stroke, list) or not stroke:
            raise ValidationError("Each stroke is a list of [x, y] points.")
        points += len(stroke)
        if points > MAX_POINTS:
            raise ValidationError("That drawing has too many points.")
        line = []
        for point in stroke:
            if not isinstance(point, list) or len(point) != 2:
                raise ValidationError("Each point is [x, y].")
            line.append([_number(point[0], "A point"), _number(point[1], "A point")])
        strokes.append(line)
    return strokes


def _text(value: Any, limit: int, what: str, *, cut: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be text.")
    value = value.replace("\x00", "")
    if len(value) > limit:
        if cut:
            return value[:limit]
        raise ValidationError(f"{what} is too long (at most {limit} characters).")
    return value


def _choice(value: Any, choices: type[AnnotationKind] | type[Visibility], what: str, default: str = "") -> str:
    value = value or default
    if value not in choices.values:
        raise ValidationError(f"{what} must be one of: {', '.join(choices.values)}.")
    return str(value)


def _optional_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{what} must be a whole number.")
    return value


def _client_id(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise ValidationError("Each annotation needs the id its device gave it (a UUID).") from None


# --- reading ---------------------------------------------------------------------------------


def data(annotation: Annotation, *, for_user: User | None = None) -> dict[str, Any]:
    """What the reader (and the live socket) gets for one annotation."""
    author = annotation.author
    return {
        "id": annotation.pk,
        "client_id": str(annotation.client_id),
        "paper": annotation.paper_id,
        "version": annotation.version.number,
        "kind": annotation.kind,
        "visibility": annotation.visibility,
        "page": annotation.page,
        "rects": annotation.rects,
        "ink": annotation.ink,
        "quote": {
            "exact": annotation.quote_exact,
            "prefix": annotation.quote_prefix,
            "suffix": annotation.quote_suffix,
        },
        "position": {"start": annotation.text_start, "end": annotation.text_end},
        "body": annotation.body,
        "color": annotation.color,
        "orphaned": annotation.orphaned,
        "author": {"id": author.pk, "name": author.get_full_name() or author.get_username()},
        "mine": for_user is not None and author.pk == for_user.pk,
        "created": annotation.created_at.isoformat(),
        "updated": annotation.updated_at.isoformat(),
    }


def for_reader(user: User, version: PaperVersion) -> list[Annotation]:
    """The user's own annotations on ``version`` and those others shared (the policy filters)."""
    return list(
        policy.visible(user, Annotation.objects.filter(version=version))
        .select_related("author", "version")
        .order_by("page", "pk")
    )


# --- writing ---------------------------------------------------------------------------------


def _require_view(actor: User, paper: Paper) -> None:
    if not policy.can(actor, Action.VIEW, paper):
        raise PermissionDenied("You cannot read this paper.")


def _may_share(actor: User, paper: Paper) -> bool:
    return policy.can(actor, Action.PARTICIPATE, paper.item)


def annotation_save(*, actor: User, paper: Paper, payload: dict[str, Any]) -> tuple[Annotation, bool]:
    """Store an annotation from the reader; (annotation, created). A retry with the same client id
    returns what the first attempt stored."""
    _require_view(actor, paper)
    client_id = _client_id(payload.get("client_id"))
    existing = Annotation.objects.filter(author=actor, client_id=client_id).select_related("version").first()
    if existing is not None:
        if existing.paper_id != paper.pk:
            raise ValidationError("That id belongs to an annotation on another paper.")
        return existing, False
    version = _version(paper, payload.get("version"))
    kind = _choice(payload.get("kind"), AnnotationKind, "kind")
    visibility = _choice(payload.get("visibility"), Visibility, "visibility", Visibility.PRIVATE)
    if visibility == Visibility.SHARED and not _may_share(actor, paper):
        raise PermissionDenied("Only members taking part in the meeting can share annotations with the board.")
    page = payload.get("page")
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= max(version.page_count, 1):
        raise ValidationError(f"page must be between 1 and {version.page_count}.")
    quote = payload.get("quote") or {}
    position = payload.get("position") or {}
    if not isinstance(quote, dict) or not isinstance(position, dict):
        raise ValidationError("quote and position must be objects.")
    annotation = Annotation(
        paper=paper,
        version=version,
        author=actor,
        kind=kind,
        visibility=visibility,
        page=page,
        rects=_rects(payload.get("rects")),
        ink=_ink(payload.get("ink")),
        quote_exact=_text(quote.get("exact"), 4000, "The quote"),
        quote_prefix=_text(quote.get("prefix"), 200, "The text before", cut=True),
        quote_suffix=_text(quote.get("suffix"), 200, "The text after", cut=True),
        text_start=_optional_int(position.get("start"), "position.start"),
        text_end=_optional_int(position.get("end"), "position.end"),
        body=_text(payload.get("body"), 5000, "The note"),
        color=_colour(payload.get("color")),
        client_id=client_id,
    )
    if kind == AnnotationKind.HIGHLIGHT and not (annotation.rects or annotation.quote_exact):
        raise ValidationError("A highlight needs the text it marks.")
    if kind == AnnotationKind.INK and not annotation.ink:
        raise ValidationError("A drawing needs at least one stroke.")
    if kind == AnnotationKind.NOTE and not annotation.body.strip():
        raise ValidationError("A note needs some text.")
    if annotation.quote_exact:
        _settle_on_server_text(annotation)
    try:
        with transaction.atomic():
            annotation.save()
            _announce(annotation, "annotation.created")
    except IntegrityError:
        # The same save arrived twice at once: the other one won.
        return Annotation.objects.get(author=actor, client_id=client_id), False
    audit.record(
        "annotation.created",
        actor=actor,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        kind=kind,
        visibility=visibility,
        version=version.number,
    )
    if paper.current_version_id and version.pk != paper.current_version_id:
        # Made offline on a version that has since been replaced: bring it forward now.
        transaction.on_commit(lambda: carry_forward(paper_id=paper.pk))
    return annotation, True


def _colour(value: Any) -> str:
    if value in (None, ""):
        return "#ffd400"
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise ValidationError("color must look like #ffd400.")
    return value.lower()


def _version(paper: Paper, number: Any) -> PaperVersion:
    if number is None:
        if paper.current_version is None:
            raise ValidationError("This paper has no readable version yet.")
        return paper.current_version
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValidationError("version must be a version number.")
    version = PaperVersion.objects.filter(paper=paper, number=number, status=VersionStatus.READY).first()
    if version is None:
        raise ValidationError("No such version of this paper.")
    return version


def _settle_on_server_text(annotation: Annotation) -> None:
    """Record the quote's position in the server's own text of the page, so that re-anchoring
    later compares like with like (the reader's text layer splits text differently)."""
    try:
        with _opened(annotation.version) as doc:
            page = doc.page(annotation.page)
            span = anchoring.find_quote(
                page,
                annotation.quote_exact,
                annotation.quote_prefix,
                annotation.quote_suffix,
                near=annotation.text_start,
            )
    except (OSError, pikepdf.PdfError, ValueError) as exc:  # an unreadable file keeps the client's anchor
        logger.warning("Could not read a paper version to anchor an annotation: %s", type(exc).__name__)
        return
    if span is not None:
        annotation.text_start, annotation.text_end = span


def annotation_update(*, actor: User, annotation: Annotation, payload: dict[str, Any]) -> Annotation:
    """The author changes the note, the colour or who sees it."""
    if not policy.can(actor, Action.MANAGE, annotation):
        raise PermissionDenied("Only its author can change an annotation.")
    changed = []
    if "body" in payload:
        annotation.body = _text(payload["body"], 5000, "The note")
        changed.append("body")
    if "color" in payload:
        annotation.color = _colour(payload["color"])
        changed.append("color")
    if "visibility" in payload:
        visibility = _choice(payload["visibility"], Visibility, "visibility")
        if visibility == Visibility.SHARED and not _may_share(actor, annotation.paper):
            raise PermissionDenied("Only members taking part in the meeting can share annotations with the board.")
        was_shared = annotation.visibility == Visibility.SHARED
        annotation.visibility = visibility
        changed.append("visibility")
        if was_shared and visibility == Visibility.PRIVATE:
            # Others must drop it from their screens: tell them it is gone for them.
            with transaction.atomic():
                _announce(annotation, "annotation.deleted", audience_visibility=Visibility.SHARED)
    if not changed:
        return annotation
    if annotation.kind == AnnotationKind.NOTE and not annotation.body.strip():
        raise ValidationError("A note needs some text.")
    with transaction.atomic():
        annotation.save(update_fields=[*changed, "updated_at"])
        _announce(annotation, "annotation.changed")
    return annotation


def annotation_delete(*, actor: User, annotation: Annotation) -> None:
    if not policy.can(actor, Action.MANAGE, annotation):
        raise PermissionDenied("Only its author can remove an annotation.")
    with transaction.atomic():
        annotation.deleted_at = timezone.now()
        annotation.save(update_fields=["deleted_at", "updated_at"])
        _announce(annotation, "annotation.deleted")


def _announce(annotation: Annotation, kind: str, *, audience_visibility: str | None = None) -> None:
    """Shared annotations travel to everyone reading the item; private ones to the author's other
    devices only. Draft meetings have no live audience."""
    meeting = annotation.paper.item.meeting
    if meeting.status == MeetingStatus.DRAFT:
        return
    visibility = audience_visibility or annotation.visibility
    payload = (
        {"id": annotation.pk, "paper": annotation.paper_id, "version": annotation.version.number}
        if kind == "annotation.deleted"
        else data(annotation)
    )
    if visibility == Visibility.SHARED:
        events.event_record(
            meeting=meeting, type=kind, data=payload, actor=annotation.author, item=annotation.paper.item
        )
    else:
        events.event_record(meeting=meeting, type=kind, data=payload, actor=annotation.author, user=annotation.author)


# --- carrying annotations to a new version ----------------------------------------------------


@contextlib.contextmanager
def _opened(version: PaperVersion) -> Iterator[anchoring.Document]:
    """The version's PDF as a pdfium document (copied to a temporary file when on S3)."""
    with tempfile.TemporaryDirectory(prefix="boardroom-anchor-") as folder:
        doc = anchoring.Document(local_path(version.file.name or "", Path(folder)))
        try:
            yield doc
        finally:
            doc.close()


def carry_forward(*, paper_id: int) -> int:
    """Bring every annotation of earlier versions that is not yet on the current version onto it.

    Idempotent: an annotation already carried is skipped. Returns how many were placed (or kept
    as orphaned). Run after a version becomes current, and for late offline saves.
    """
    paper = Paper.objects.select_related("current_version").filter(pk=paper_id).first()
    if paper is None or paper.current_version is None:
        return 0
    target = paper.current_version
    done = set(
        Annotation.objects.filter(version=target, carried_from__isnull=False).values_list("carried_from_id", flat=True)
    )
    # The newest copy of each annotation that has not reached the current version yet.
    pending = [
        a
        for a in Annotation.objects.filter(paper=paper, deleted_at__isnull=True)
        .exclude(version=target)
        .filter(version__number__lt=target.number)
        .select_related("version")
        .order_by("version__number", "pk")
        if a.pk not in done and not a.carried_to.filter(deleted_at__isnull=True).exists()
    ]
    if not pending:
        return 0
    by_version: dict[int, list[Annotation]] = {}
    for annotation in pending:
        by_version.setdefault(annotation.version_id, []).append(annotation)
    placed = 0
    with _opened(target) as new_doc:
        for annotations in by_version.values():
            with _opened(annotations[0].version) as old_doc:
                for annotation in annotations:
                    _carry(annotation, target, old_doc, new_doc)
                    placed += 1
    return placed


def _carry(
    annotation: Annotation, target: PaperVersion, old_doc: anchoring.Document, new_doc: anchoring.Document
) -> None:
    copy = Annotation(
        paper_id=annotation.paper_id,
        version=target,
        author_id=annotation.author_id,
        kind=annotation.kind,
        visibility=annotation.visibility,
        page=min(annotation.page, max(target.page_count, 1)),
        rects=annotation.rects,
        ink=annotation.ink,
        quote_exact=annotation.quote_exact,
        quote_prefix=annotation.quote_prefix,
        quote_suffix=annotation.quote_suffix,
        text_start=annotation.text_start,
        text_end=annotation.text_end,
        body=annotation.body,
        color=annotation.color,
        client_id=uuid.uuid4(),
        carried_from=annotation,
    )
    if annotation.quote_exact.strip():
        anchor = anchoring.anchor_quote(
            new_doc,
            page=annotation.page,
            exact=annotation.quote_exact,
            prefix=annotation.quote_prefix,
            suffix=annotation.quote_suffix,
            start=annotation.text_start,
            end=annotation.text_end,
        )
        if anchor is None:
            copy.orphaned = True
        else:
            shift = _shift(annotation.rects, anchor.rects)
            copy.page, copy.text_start, copy.text_end = anchor.page, anchor.start, anchor.end
            copy.rects = (
                anchor.rects if annotation.kind == AnnotationKind.HIGHLIGHT else _moved(annotation.rects, shift)
            )
    else:
        page = anchoring.follow_page(old_doc, new_doc, annotation.page)
        if page is None:
            copy.orphaned = True
        else:
            copy.page = page
    with transaction.atomic():
        copy.save()
        _announce(copy, "annotation.created")


def _shift(old: Sequence[Sequence[float]], new: Sequence[Sequence[float]]) -> tuple[float, float]:
    if not old or not new:
        return (0.0, 0.0)
    return (new[0][0] - old[0][0], new[0][1] - old[0][1])


def _moved(rects: Sequence[Sequence[float]], shift: tuple[float, float]) -> list[list[float]]:
    return [[r[0] + shift[0], r[1] + shift[1], r[2], r[3]] for r in rects]


# --- export ----------------------------------------------------------------------------------


ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PAGE_FRAGMENT = "http://tools.ietf.org/rfc/rfc3778"


def annotation_context(base: str) -> dict[str, Any]:
    """Boardroom's own JSON-LD context: every term the exports use beyond the Web Annotation
    vocabulary, under this installation's namespace (served at ``/ns/annotations.jsonld``)."""
    return {
        "@context": {
            "boardroom": f"{base}/ns/annotations#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "RectSelector": "boardroom:RectSelector",
            "InkSelector": "boardroom:InkSelector",
            "PaperVersion": "boardroom:PaperVersion",
            "page": {"@id": "boardroom:page", "@type": "xsd:integer"},
            "versionNumber": {"@id": "boardroom:versionNumber", "@type": "xsd:integer"},
            "rects": {"@id": "boardroom:rects", "@container": "@list"},
            "strokes": {"@id": "boardroom:strokes", "@container": "@list"},
            "orphaned": {"@id": "boardroom:orphaned", "@type": "xsd:boolean"},
        }
    }


def contexts(base: str) -> list[str]:
    return [ANNO_CONTEXT, base + reverse("annotation_context")]


def web_annotation(a: Annotation, base: str) -> dict[str, Any]:
    """One annotation as a W3C Web Annotation. Its selectors are alternatives, each the page
    (a PDF fragment) refined by where on it: the quoted text, its position, the marked boxes or
    the ink strokes."""
    source = base + reverse("paper_download", args=[a.paper_id])
    page: dict[str, Any] = {"type": "FragmentSelector", "conformsTo": PAGE_FRAGMENT, "value": f"page={a.page}"}
    refinements: list[dict[str, Any]] = []
    if a.quote_exact:
        refinements.append(
            {"type": "TextQuoteSelector", "exact": a.quote_exact, "prefix": a.quote_prefix, "suffix": a.quote_suffix}
        )
    if a.text_start is not None and a.text_end is not None:
        refinements.append({"type": "TextPositionSelector", "start": a.text_start, "end": a.text_end})
    if a.rects:
        refinements.append({"type": "RectSelector", "page": a.page, "rects": a.rects})
    if a.ink:
        refinements.append({"type": "InkSelector", "page": a.page, "strokes": a.ink})
    selectors = [{**page, "refinedBy": refined} for refined in refinements] or [page]
    author = a.author
    item: dict[str, Any] = {
        "id": base + reverse("annotation", args=[a.pk]),
        "type": "Annotation",
        "motivation": "highlighting" if a.kind == AnnotationKind.HIGHLIGHT else "commenting",
        "created": a.created_at.isoformat(),
        "modified": a.updated_at.isoformat(),
        "creator": {"type": "Person", "name": author.get_full_name() or author.get_username()},
        "audience": {
            "type": "schema:Audience",
            "schema:audienceType": "board" if a.visibility == Visibility.SHARED else "author only",
        },
        "target": {
            "source": source,
            "state": {"type": "PaperVersion", "versionNumber": a.version.number},
            "selector": selectors if len(selectors) > 1 else selectors[0],
        },
    }
    if a.body:
        item["body"] = {"type": "TextualBody", "value": a.body, "format": "text/plain", "purpose": "commenting"}
    if a.orphaned:
        item["orphaned"] = True
    return item


def as_web_annotations(user: User, paper: Paper, request_base: str) -> dict[str, Any]:
    """The user's own annotations on the current version, as a W3C Web Annotation collection."""
    version = paper.current_version
    annotations = [] if version is None else [a for a in for_reader(user, version) if a.author_id == user.pk]
    items = [web_annotation(a, request_base) for a in annotations]
    return {
        "@context": contexts(request_base),
        "id": request_base + reverse("annotations_export", args=[paper.pk]),
        "type": "AnnotationCollection",
        "label": f"{paper.title}: annotations by {user.get_full_name() or user.get_username()}",
        "total": len(items),
        "first": {"type": "AnnotationPage", "items": items},
    }


def _pdf_colour(hex_colour: str) -> list[float]:
    return [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]


def annotated_copy(user: User, paper: Paper) -> bytes:
    """The current version with the user's own annotations written in as real PDF annotations."""
    version = paper.current_version
    if version is None:
        raise ValidationError("This paper has no readable version yet.")
    mine = [a for a in for_reader(user, version) if a.author_id == user.pk and not a.orphaned]
    name = user.get_full_name() or user.get_username()
    with version.file.open("rb") as handle, pikepdf.open(io.BytesIO(handle.read())) as pdf:
        for a in mine:
            if not 1 <= a.page <= len(pdf.pages):
                continue
            page = pdf.pages[a.page - 1]
            annot = _pdf_annotation(pdf, a, name)
            if annot is None:
                continue
            if "/Annots" not in page.obj:
                page.obj.Annots = pdf.make_indirect(pikepdf.Array())
            page.obj.Annots.append(pdf.make_indirect(annot))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _pdf_annotation(pdf: pikepdf.Pdf, a: Annotation, author: str) -> pikepdf.Dictionary | None:
    common: dict[str, Any] = {
        "Type": pikepdf.Name.Annot,
        "T": pikepdf.String(author),
        "Contents": pikepdf.String(a.body or a.quote_exact[:500]),
        "C": pikepdf.Array(_pdf_colour(a.color)),
        "M": pikepdf.String(a.updated_at.strftime("D:%Y%m%d%H%M%SZ")),
        "NM": pikepdf.String(f"boardroom-{a.pk}"),
        "F": 4,  # print
    }
    if a.kind == AnnotationKind.HIGHLIGHT and a.rects:
        quads: list[float] = []
        for x, y, w, h in a.rects:
            quads += [x, y + h, x + w, y + h, x, y, x + w, y]
        return pikepdf.Dictionary(
            Subtype=pikepdf.Name.Highlight, Rect=_bbox(a.rects), QuadPoints=pikepdf.Array(quads), CA=0.4, **common
        )
    if a.kind == AnnotationKind.INK and a.ink:
        points = [[x, y] for stroke in a.ink for x, y in stroke]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        rect = [min(xs) - 2, min(ys) - 2, max(xs) + 2, max(ys) + 2]
        ink_list = pikepdf.Array([pikepdf.Array([c for x, y in stroke for c in (x, y)]) for stroke in a.ink])
        return pikepdf.Dictionary(
            Subtype=pikepdf.Name.Ink, Rect=pikepdf.Array(rect), InkList=ink_list, BS=pikepdf.Dictionary(W=2), **common
        )
    if a.kind == AnnotationKind.NOTE:
        x, y = (a.rects[0][0], a.rects[0][1]) if a.rects else (20.0, 20.0)
        return pikepdf.Dictionary(
            Subtype=pikepdf.Name.Text, Rect=pikepdf.Array([x, y, x + 20, y + 20]), Name=pikepdf.Name.Comment, **common
        )
    return None


def _bbox(rects: Sequence[Sequence[float]]) -> pikepdf.Array:
    return pikepdf.Array(
        [
            min(r[0] for r in rects),
            min(r[1] for r in rects),
            max(r[0] + r[2] for r in rects),
            max(r[1] + r[3] for r in rects),
        ]
    )

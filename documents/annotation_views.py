"""The reader's annotation API (JSON over the session) and the two exports."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from boardroom import audit, policy
from boardroom.policy import Action

from . import annotating
from .models import Annotation, Paper, PaperVersion
from .ranges import without_body

MAX_BODY = 512 * 1024


def _paper(request: HttpRequest, pk: int) -> Paper:
    return policy.get_or_404(
        request.user, Action.VIEW, Paper.objects.select_related("item__meeting__board", "current_version"), pk=pk
    )


def _problem(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _messages(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ValidationError("That annotation is too large.")
    try:
        payload = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ValidationError("Send one JSON object.")
    return payload


@login_required
@require_http_methods(["GET", "POST"])
def paper_annotations(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: the annotations the reader may see on a version (the current one unless ``?version=``).
    POST: save one (idempotent by its ``client_id``): 201 when stored, 200 when it already was."""
    paper = _paper(request, pk)
    user: User = request.user  # type: ignore[assignment]
    if request.method == "GET":
        version = paper.current_version
        wanted = request.GET.get("version")
        if wanted:
            if not wanted.isdigit():
                return _problem("version must be a number.", 400)
            version = PaperVersion.objects.filter(paper=paper, number=int(wanted), status="ready").first()
            older = version is not None and version.pk != paper.current_version_id
            if version is None or (older and not policy.can(user, Action.MANAGE, paper)):
                return _problem("No such version.", 404)
        if version is None:
            return JsonResponse({"version": None, "annotations": []})
        items = [annotating.data(a, for_user=user) for a in annotating.for_reader(user, version)]
        response = JsonResponse({"version": version.number, "annotations": items})
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        annotation, created = annotating.annotation_save(actor=user, paper=paper, payload=_json_body(request))
    except ValidationError as error:
        return _problem(_messages(error), 400)
    except PermissionDenied as error:
        return _problem(str(error), 403)
    return JsonResponse(annotating.data(annotation, for_user=user), status=201 if created else 200)


@login_required
@require_http_methods(["GET", "HEAD", "PATCH", "DELETE"])
def annotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the annotation as a W3C Web Annotation (its IRI in the exports dereferences here),
    for whoever may see it. PATCH: the author changes the note, colour or sharing. DELETE: the
    author removes it."""
    user: User = request.user  # type: ignore[assignment]
    annotation = policy.get_or_404(
        user, Action.VIEW, Annotation.objects.select_related("paper__item__meeting", "version", "author"), pk=pk
    )
    if request.method in ("GET", "HEAD"):
        base = _base(request)
        response = HttpResponse(
            json.dumps({"@context": annotating.contexts(base), **annotating.web_annotation(annotation, base)}),
            content_type=f'application/ld+json; profile="{annotating.ANNO_CONTEXT}"',
        )
        response["Cache-Control"] = "private, no-cache"
        return without_body(request, response)
    try:
        if request.method == "DELETE":
            annotating.annotation_delete(actor=user, annotation=annotation)
            return HttpResponse(status=204)
        updated = annotating.annotation_update(actor=user, annotation=annotation, payload=_json_body(request))
    except ValidationError as error:
        return _problem(_messages(error), 400)
    except PermissionDenied as error:
        return _problem(str(error), 403)
    return JsonResponse(annotating.data(updated, for_user=user))


def _base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _exported(request: HttpRequest, action: str, paper: Paper) -> None:
    """An export quotes or carries the paper's current version: audited once per person, version and day."""
    version = paper.current_version
    if request.method != "GET" or version is None:
        return
    audit.record_delivery(
        action,
        actor=request.user,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        request=request,
        once={"version": version.number},
        sha256=version.sha256,
    )


@login_required
@require_safe
def annotations_export(request: HttpRequest, pk: int) -> HttpResponse:
    """My annotations on this paper as W3C Web Annotations (JSON-LD; their selectors quote the text)."""
    paper = _paper(request, pk)
    user: User = request.user  # type: ignore[assignment]
    collection = annotating.as_web_annotations(user, paper, _base(request))
    _exported(request, "paper.annotations_export", paper)
    response = HttpResponse(
        json.dumps(collection, indent=2, ensure_ascii=False),
        content_type=f'application/ld+json; profile="{annotating.ANNO_CONTEXT}"',
    )
    name = f"{paper.title} - my annotations.jsonld"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return without_body(request, response)


@login_required
@require_safe
def annotated_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper with my annotations written into it as PDF annotations."""
    paper = _paper(request, pk)
    user: User = request.user  # type: ignore[assignment]
    if paper.current_version is None:
        raise Http404("This paper has no file yet.")
    data = annotating.annotated_copy(user, paper)
    _exported(request, "paper.annotated_copy", paper)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{paper.title} - annotated.pdf"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return without_body(request, response)


@require_safe
def annotation_context(request: HttpRequest) -> HttpResponse:
    """Boardroom's JSON-LD context for the terms its annotation exports add (no sign-in: it
    describes a vocabulary, nothing of any board)."""
    response = HttpResponse(
        json.dumps(annotating.annotation_context(_base(request)), indent=2), content_type="application/ld+json"
    )
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return without_body(request, response)

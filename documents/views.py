from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.http import content_disposition_header

from boardroom import audit, policy
from boardroom.policy import Action

from . import services
from .models import Paper, PaperVersion, VersionStatus


def _pdf_response(paper: Paper, version: PaperVersion) -> FileResponse:
    response = FileResponse(version.file.open("rb"), content_type="application/pdf")
    suffix = f" (version {version.number})" if version.pk != paper.current_version_id else ""
    filename = f"{paper.item.number} {paper.title}{suffix}.pdf".strip()
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{version.sha256}"'
    return response


@login_required
def paper_download(request: HttpRequest, pk: int) -> FileResponse:
    """The current PDF of a paper, for those who may see its agenda item."""
    paper = policy.get_or_404(
        request.user, Action.VIEW, Paper.objects.select_related("item__meeting", "current_version"), pk=pk
    )
    version = paper.current_version
    if version is None:
        raise Http404("This paper has no file yet.")
    services.paper_opened(user=request.user, paper=paper, version=version)  # type: ignore[arg-type]
    audit.record(
        "paper.view",
        actor=request.user,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        request=request,
        version=version.number,
        sha256=version.sha256,
    )
    return _pdf_response(paper, version)


@login_required
def paper_version_download(request: HttpRequest, pk: int, number: int) -> FileResponse:
    """An earlier (or the current) version of a paper, for those who manage the board."""
    paper = policy.get_or_404(request.user, Action.MANAGE, Paper.objects.select_related("item__meeting"), pk=pk)
    version = PaperVersion.objects.filter(paper=paper, number=number, status=VersionStatus.READY).first()
    if version is None:
        raise Http404("No such version.")
    audit.record(
        "paper.view",
        actor=request.user,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        request=request,
        version=version.number,
        sha256=version.sha256,
    )
    return _pdf_response(paper, version)

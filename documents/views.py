"""Paper downloads. Every answer that hands a person any part of a file is audited (README.md,
"The audit log"): the first delivery per person, version and day, whatever the range."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from boardroom import audit, policy
from boardroom.policy import Action

from . import reading
from .models import Paper, PaperVersion, VersionStatus
from .ranges import ranged_response


def first_request(request: HttpRequest) -> bool:
    """Whether this is someone opening the file, not a reader fetching the next part of it.

    Only counts opens for read receipts; the audit records every delivery whatever its range.
    """
    header = request.headers.get("Range", "")
    return request.method == "GET" and (not header or header.replace(" ", "").startswith("bytes=0-"))


def stored_file_response(
    request: HttpRequest,
    name: str,
    *,
    size: int,
    etag: str,
    filename: str,
    download: bool = False,
    cache_control: str = "private, no-store",
    on_deliver: Callable[[], object] | None = None,
) -> HttpResponseBase:
    """A stored PDF for someone the policy has already let through.

    On disk it is served here, answering range requests. On S3 the browser is sent to a
    presigned URL that lasts ``S3_LINK_SECONDS`` (S3 answers the ranges itself); the bucket's
    CORS rule (``manage.py s3_cors``) lets the reader see the range headers. ``on_deliver`` is
    called when the answer hands over the file or part of it (a presigned link counts).
    """
    if hasattr(default_storage, "bucket_name"):
        if request.method == "GET" and on_deliver is not None:
            on_deliver()
        disposition = content_disposition_header(as_attachment=download, filename=filename) or "inline"
        url = default_storage.url(  # type: ignore[call-arg]  # S3Storage.url takes these
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": "application/pdf",
                "ResponseCacheControl": cache_control,
            },
            expire=settings.S3_LINK_SECONDS,
            http_method="HEAD" if request.method == "HEAD" else "GET",
        )
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "private, no-store"  # the link itself is for this person only
        return redirect
    return ranged_response(
        request,
        lambda: default_storage.open(name, "rb"),
        size=size,
        etag=etag,
        filename=filename,
        download=download,
        cache_control=cache_control,
        on_deliver=on_deliver,
    )


def _pdf_response(
    request: HttpRequest,
    paper: Paper,
    version: PaperVersion,
    *,
    cache_control: str = "private, no-store",
    on_deliver: Callable[[], object] | None = None,
) -> HttpResponseBase:
    suffix = f" (version {version.number})" if version.pk != paper.current_version_id else ""
    filename = f"{paper.item.number} {paper.title}{suffix}.pdf".strip()
    size = version.size or version.file.size
    return stored_file_response(
        request,
        version.file.name or "",
        size=size,
        etag=version.sha256 or f"v{version.pk}",
        filename=filename,
        download=request.GET.get("download") == "1",
        cache_control=cache_control,
        on_deliver=on_deliver,
    )


def delivered(request: HttpRequest, paper: Paper, version: PaperVersion, *, via: str = "file") -> bool:
    """Audit that the requester was handed ``version`` of ``paper`` (or a part or picture of it),
    once per person, version and day. Returns whether this was the first time today."""
    return audit.record_delivery(
        "paper.view",
        actor=request.user,
        obj=paper,
        board_id=paper.item.meeting.board_id,
        request=request,
        once={"version": version.number},
        sha256=version.sha256,
        via=via,
    )


def _opened_pdf(request: HttpRequest, paper: Paper, version: PaperVersion, *, receipt: bool) -> HttpResponseBase:
    """The file, audited on its first delivery of the day whatever the range; with ``receipt``,
    the reader's read receipt notes each open and any first delivery of the day."""
    opening = first_request(request)

    def on_deliver() -> None:
        first_today = delivered(request, paper, version)
        if receipt and (opening or first_today):
            reading.paper_opened(user=request.user, paper=paper, version=version)  # type: ignore[arg-type]

    return _pdf_response(request, paper, version, on_deliver=on_deliver)


@login_required
@require_safe
def paper_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The current PDF of a paper, for those who may see its agenda item."""
    paper = policy.get_or_404(
        request.user, Action.VIEW, Paper.objects.select_related("item__meeting", "current_version"), pk=pk
    )
    version = paper.current_version
    if version is None:
        raise Http404("This paper has no file yet.")
    return _opened_pdf(request, paper, version, receipt=True)


@login_required
@require_safe
def paper_version_download(request: HttpRequest, pk: int, number: int) -> HttpResponseBase:
    """An earlier (or the current) version of a paper, for those who manage the board."""
    paper = policy.get_or_404(request.user, Action.MANAGE, Paper.objects.select_related("item__meeting"), pk=pk)
    version = PaperVersion.objects.filter(paper=paper, number=number, status=VersionStatus.READY).first()
    if version is None:
        raise Http404("No such version.")
    return _opened_pdf(request, paper, version, receipt=False)

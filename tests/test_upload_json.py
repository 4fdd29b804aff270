"""The builder's multi-file uploader talks JSON: each upload answers with where its check has
got to, and a paper nobody titled takes the document's own title rather than its file name."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from documents.models import Paper
from documents.services import own_title, title_from_name
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.pdfs import make_pdf


def test_titles_from_names_and_from_documents() -> None:
    assert title_from_name("2026-03_Finance_report.pdf") == "2026-03 Finance report"
    assert title_from_name("C:\\\\papers\\\\Board pack.docx") == "Board pack"
    assert own_title("Reserves policy 2027", ["Anything"]) == "Reserves policy 2027"
    assert own_title("Microsoft Word - draft3.docx", ["Reserves policy\nPage 1"]) == "Reserves policy"
    assert own_title("", ["\n  \n12\nTreasurer's report to the board\n"]) == "Treasurer's report to the board"
    assert own_title("", [""]) == ""


def test_a_json_upload_answers_with_its_status_and_takes_the_documents_title(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client = sign_in(Client(), world.secretary)
    url = f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/papers/"
    upload = SimpleUploadedFile("scan_0042.pdf", make_pdf(["Reserves policy review", "Detail"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "processing" and data["title"] == "scan 0042"
    status = client.get(data["status_url"], HTTP_ACCEPT="application/json").json()
    assert status["status"] == "ready" and status["pages"] == 2
    assert status["title"] == "Reserves policy review"
    assert Paper.objects.get(pk=data["paper"]).title == "Reserves policy review"
    # A typed title is kept.
    typed = SimpleUploadedFile("x.pdf", make_pdf(["Something else entirely"]))
    with django_capture_on_commit_callbacks(execute=True):
        kept = client.post(url, {"file": typed, "title": "Chair's note"}, HTTP_ACCEPT="application/json").json()
    assert Paper.objects.get(pk=kept["paper"]).title == "Chair's note"


def test_bad_json_uploads_get_a_clear_400_and_others_may_not_look(world: BoardWorld) -> None:
    client = sign_in(Client(), world.secretary)
    url = f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/papers/"
    missing = client.post(url, {}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400 and "Choose a file" in missing.json()["error"]
    image = SimpleUploadedFile("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    refused = client.post(url, {"file": image}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "PNG image" in refused.json()["error"]
    status_url = f"/meetings/{world.meeting.pk}/uploads/{world.public_paper.current_version_id}/"
    assert client.get(status_url).status_code == 200
    assert sign_in(Client(), world.member).get(status_url).status_code == 403
    assert sign_in(Client(), world.outsider).get(status_url).status_code == 404


def test_a_documents_metadata_title_wins_over_its_first_line(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(make_pdf(["RIVERSIDE COMMUNITY TRUST", "Detail"]))) as pdf:
        pdf.docinfo["/Title"] = "Safeguarding annual report 2026"
        out = io.BytesIO()
        pdf.save(out)
    client = sign_in(Client(), world.secretary)
    url = f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/papers/"
    with django_capture_on_commit_callbacks(execute=True):
        data = client.post(
            url, {"file": SimpleUploadedFile("report_final_v3.pdf", out.getvalue())}, HTTP_ACCEPT="application/json"
        ).json()
    assert Paper.objects.get(pk=data["paper"]).title == "Safeguarding annual report 2026"

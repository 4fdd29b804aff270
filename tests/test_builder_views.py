"""The builder's pages: only for those who manage the board; every form answers bad input with a 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from meetings.models import AgendaItem, Meeting, MeetingStatus
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import opened


@pytest.fixture
def secretary(world: BoardWorld) -> Client:
    return sign_in(Client(), world.secretary)


def test_members_get_403_and_outsiders_404_on_every_builder_url(world: BoardWorld) -> None:
    m, i = world.meeting.pk, world.public_item.pk
    urls = [
        f"/meetings/{m}/agenda/",
        f"/meetings/{m}/details/",
        f"/meetings/{m}/publish/",
        f"/meetings/{m}/agenda/items/{i}/",
        f"/boards/{world.board.pk}/meetings/new/",
    ]
    posts = [
        f"/meetings/{m}/agenda/items/",
        f"/meetings/{m}/agenda/order/",
        f"/meetings/{m}/agenda/standing/",
        f"/meetings/{m}/agenda/clone/",
        f"/meetings/{m}/agenda/items/{i}/delete/",
        f"/meetings/{m}/agenda/items/{i}/move/",
    ]
    member, outsider = sign_in(Client(), world.member), sign_in(Client(), world.outsider)
    for url in urls:
        assert member.get(url).status_code == 403, url
        assert outsider.get(url).status_code == 404, url
    for url in posts:
        assert member.post(url).status_code == 403, url
        assert outsider.post(url).status_code == 404, url
    assert AgendaItem.objects.filter(meeting=world.meeting).count() == 2


def test_a_secretary_creates_a_meeting_and_builds_its_agenda(world: BoardWorld, secretary: Client) -> None:
    response = secretary.post(
        f"/boards/{world.board.pk}/meetings/new/",
        {
            "title": "September board meeting",
            "date": "2027-09-14",
            "starts": "18:00",
            "ends": "20:00",
            "location": "Riverside House",
            "video_url": "meet.example.org/board",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="September board meeting")
    assert meeting.status == MeetingStatus.DRAFT and meeting.video_url == "https://meet.example.org/board"
    assert meeting.starts_at.isoformat() == "2027-09-14T17:00:00+00:00"  # 18:00 London summer time
    secretary.post(f"/meetings/{meeting.pk}/agenda/standing/")
    secretary.post(
        f"/meetings/{meeting.pk}/agenda/items/",
        {"title": "Property acquisition", "purpose": "decision", "duration_minutes": "20", "confidential": "on"},
    )
    page = secretary.get(f"/meetings/{meeting.pk}/agenda/").content.decode()
    assert "Property acquisition" in page and "Part B" in page and "Declarations of interest" in page
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("sort_key"))
    order = [{"id": items[-1].pk, "parent": None}] + [{"id": x.pk, "parent": None} for x in items[:-1]]
    response = secretary.post(
        f"/meetings/{meeting.pk}/agenda/order/", json.dumps({"order": order}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["items"][0]["number"] == "1"
    assert AgendaItem.objects.get(pk=items[-1].pk).number == "1"


def test_publishing_shows_who_will_see_what_then_publishes(world: BoardWorld, secretary: Client) -> None:
    preview = secretary.get(f"/meetings/{world.draft.pk}/publish/").content.decode()
    assert "What each person will see" in preview
    item = AgendaItem.objects.create(meeting=world.draft, title="Secret", confidential=True, position=1)
    preview = secretary.get(f"/meetings/{world.draft.pk}/publish/").content.decode()
    assert "Secret (Part B)" in preview
    assert secretary.post(f"/meetings/{world.draft.pk}/publish/").status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.status == MeetingStatus.PUBLISHED and item.pk


@pytest.mark.parametrize("body", ["not json", "{}", '{"order": 5}', '{"order": [{"id": "x"}]}', '{"order": []}'])
def test_a_bad_reorder_is_a_400_with_a_message(world: BoardWorld, secretary: Client, body: str) -> None:
    response = secretary.post(f"/meetings/{world.meeting.pk}/agenda/order/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]


def test_bad_forms_are_refused_clearly(world: BoardWorld, secretary: Client) -> None:
    response = secretary.post(
        f"/boards/{world.board.pk}/meetings/new/", {"title": "", "date": "2027-02-30", "starts": "25:00"}
    )
    assert response.status_code == 400 and b"field-error" in response.content
    response = secretary.post(f"/meetings/{world.meeting.pk}/agenda/items/", {"title": "", "duration_minutes": "-5"})
    assert response.status_code == 302
    assert "not added" in secretary.get(response["Location"]).content.decode()
    response = secretary.post(
        f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/move/", {"direction": "sideways"}
    )
    assert response.status_code == 302
    assert secretary.post(f"/meetings/{world.meeting.pk}/agenda/items/999999/move/").status_code == 404
    assert secretary.post(f"/meetings/{world.meeting.pk}/agenda/clone/", {"source": "abc"}).status_code == 302


def test_the_secretary_uploads_a_paper_and_sees_its_status(
    world: BoardWorld, secretary: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.models import Paper
    from tests.pdfs import make_pdf

    url = f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/papers/"
    good = SimpleUploadedFile("budget.pdf", make_pdf(["Budget", "Page 2", "Page 3"]), "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # the ingest task runs after commit
        response = secretary.post(url, {"file": good, "title": "Budget 2027"})
    page = secretary.get(response["Location"]).content.decode()
    paper = Paper.objects.get(title="Budget 2027")
    assert paper.current_version is not None and paper.current_version.page_count == 3
    assert "Budget 2027" in page and "Ready" in page
    fake = SimpleUploadedFile("notes.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf")
    response = secretary.post(url, {"file": fake})
    assert "was not accepted" in secretary.get(response["Location"]).content.decode()
    assert not Paper.objects.filter(title="notes").exists()
    assert secretary.post(url, {}).status_code == 302  # no file: a message, not an error
    member = sign_in(Client(), world.member)
    assert member.post(url, {"file": SimpleUploadedFile("x.pdf", make_pdf(["x"]))}).status_code == 403


def test_earlier_versions_stay_with_the_secretary_and_members_see_what_changed(
    world: BoardWorld, secretary: Client
) -> None:
    from documents import services as document_services
    from tests.pdfs import make_pdf

    document_services.paper_version_add(
        actor=world.secretary,
        paper=world.public_paper,
        data=make_pdf(["Accounts", "p2 revised"]),
        note="Corrected the cash figure",
    )
    assert opened(secretary.get(f"/papers/{world.public_paper.pk}/versions/1/pdf"))
    assert "v1" in secretary.get(f"/meetings/{world.meeting.pk}/agenda/").content.decode()
    member = sign_in(Client(), world.member)
    assert member.get(f"/papers/{world.public_paper.pk}/versions/1/pdf").status_code == 403
    page = member.get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert "Corrected the cash figure" in page and "changed pages 2" in page


def test_an_oversized_upload_is_cut_off_while_it_streams(world: BoardWorld, secretary: Client, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.models import Paper

    settings.BOARDROOM_MAX_UPLOAD_BYTES = 200 * 1024
    url = f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/papers/"
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (400 * 1024), "application/pdf")
    response = secretary.post(url, {"file": big, "title": "Too big"})
    assert response.status_code == 302
    page = secretary.get(response["Location"]).content.decode()
    assert "larger than the 200.0\xa0KB limit for a paper" in page
    assert not Paper.objects.filter(title="Too big").exists()


def test_papers_of_an_item_can_be_put_in_order(world: BoardWorld, secretary: Client) -> None:
    from documents import services as document_services
    from documents.models import Paper
    from tests.pdfs import make_pdf

    second = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Budget")
    document_services.paper_version_add(actor=world.secretary, paper=second, data=make_pdf(["Budget"]))
    secretary.post(f"/meetings/{world.meeting.pk}/papers/{second.pk}/move/", {"direction": "up"})
    order = list(Paper.objects.filter(item=world.public_item).order_by("position").values_list("title", flat=True))
    assert order == ["Budget", "Accounts"]
    member = sign_in(Client(), world.member)
    page = member.get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert page.index("Budget") < page.index("Accounts")
    assert (
        member.post(f"/meetings/{world.meeting.pk}/papers/{second.pk}/move/", {"direction": "down"}).status_code == 403
    )

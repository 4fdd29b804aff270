"""Read status per version: who opened the current version of each paper, first and last, who
only an earlier one, who none; and reminders to those who have not, once, to the right people."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from documents import reading
from documents import services as document_services
from documents.models import Paper, VersionRead
from meetings.models import Notice
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import opened
from tests.pdfs import make_pdf


def _new_version(world: BoardWorld, paper: Paper) -> None:
    document_services.paper_upload(
        actor=world.secretary,
        item=paper.item,
        title=paper.title,
        paper=paper,
        uploaded=SimpleUploadedFile("v2.pdf", make_pdf(["Accounts, figures corrected", "Page two"])),
        note="Figures corrected",
    )


def _open(person: Any, paper: Paper) -> None:
    response = sign_in(Client(), person).get(f"/papers/{paper.pk}/pdf")
    assert opened(response), response.status_code


def test_the_matrix_tells_who_has_opened_this_version(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    paper = world.public_paper
    _open(world.member, paper)
    _open(world.recused, world.part_b_paper)
    with django_capture_on_commit_callbacks(execute=True):
        _new_version(world, paper)
    paper.refresh_from_db()
    assert paper.current_version is not None and paper.current_version.number == 2
    _open(world.chair, paper)
    status = reading.read_status(actor=world.secretary, meeting=world.meeting)
    column = next(c for c in status.columns if c.paper.pk == paper.pk)
    cell = {person.username: status.cells[(person.pk, paper.pk)] for person in status.people}
    assert cell["chair"].state == "read" and cell["chair"].first is not None
    assert cell["member"].state == "earlier" and cell["member"].opened_version == 1
    assert cell["observer"].state == "unread"
    assert cell["recused"].state == "hidden"  # recused from the item: never counted as unread
    assert {p.username for p in column.unread} == {"member", "observer", "secretary"}
    part_b = {person.username: status.cells[(person.pk, world.part_b_paper.pk)] for person in status.people}
    assert part_b["observer"].state == "hidden" and part_b["recused"].state == "read"


def test_the_page_is_for_managers_only(world: BoardWorld) -> None:
    url = f"/meetings/{world.meeting.pk}/reading/"
    assert sign_in(Client(), world.secretary).get(url).status_code == 200
    assert sign_in(Client(), world.member).get(url).status_code == 403
    assert sign_in(Client(), world.outsider).get(url).status_code == 404
    assert sign_in(Client(), world.member).post(f"{url}remind/").status_code == 403


def test_a_reminder_reaches_only_those_who_have_not_opened_it_and_not_twice(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    paper = world.public_paper
    _open(world.member, paper)
    client = sign_in(Client(), world.secretary)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/meetings/{world.meeting.pk}/reading/remind/", {"paper": paper.pk})
    assert response.status_code == 303
    reminded = set(Notice.objects.filter(kind=Notice.Kind.REMINDER).values_list("user__username", flat=True))
    assert reminded == {"chair", "observer"}  # not the member (read it), the recused, or the secretary
    assert all("Please read" not in m.body for m in mail.outbox)  # emails name no paper
    assert any("papers for this meeting you have not opened" in m.body for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/meetings/{world.meeting.pk}/reading/remind/", {"paper": paper.pk})
    assert Notice.objects.filter(kind=Notice.Kind.REMINDER).count() == 2  # the double tap reminds nobody again
    home = sign_in(Client(), world.observer).get("/").content.decode()
    assert f"Please read “{paper.title}”" in home
    assert VersionRead.objects.filter(user=world.member, version=paper.current_version).exists()

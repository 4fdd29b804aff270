"""Services validate, check the policy, and write whole changes or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from documents import services as document_services
from documents.models import PaperVersion
from meetings import services
from meetings.models import AgendaItem, Meeting, MeetingStatus, Membership, Role
from tests.conftest import BoardWorld
from tests.factories import UserFactory
from tests.pdfs import corpus, make_pdf


def test_agenda_numbers_follow_nesting_and_order(world: BoardWorld) -> None:
    meeting = services.meeting_create(
        actor=world.secretary, board=world.board, title="May meeting", starts_at=timezone.now() + dt.timedelta(days=30)
    )
    welcome = services.agenda_item_add(actor=world.secretary, meeting=meeting, title="Welcome")
    finance = services.agenda_item_add(actor=world.secretary, meeting=meeting, title="Finance")
    services.agenda_item_add(actor=world.secretary, meeting=meeting, title="Accounts", parent=finance)
    services.agenda_item_add(actor=world.secretary, meeting=meeting, title="Budget", parent=finance)
    services.agenda_item_add(actor=world.secretary, meeting=meeting, title="Close")
    numbers = list(AgendaItem.objects.filter(meeting=meeting).values_list("number", "title"))
    assert numbers == [("1", "Welcome"), ("2", "Finance"), ("2.1", "Accounts"), ("2.2", "Budget"), ("3", "Close")]
    welcome.delete()
    services.agenda_renumber(meeting=meeting)
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("number", flat=True)) == ["1", "1.1", "1.2", "2"]


def test_items_nest_two_levels_at_most(world: BoardWorld) -> None:
    child = services.agenda_item_add(
        actor=world.secretary, meeting=world.meeting, title="Sub", parent=world.public_item
    )
    with pytest.raises(ValidationError):
        services.agenda_item_add(actor=world.secretary, meeting=world.meeting, title="Too deep", parent=child)


def test_members_cannot_edit_the_agenda(world: BoardWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.agenda_item_add(actor=world.member, meeting=world.meeting, title="Sneaky item")
    with pytest.raises(PermissionDenied):
        services.meeting_create(actor=world.outsider, board=world.board, title="X", starts_at=timezone.now())


def test_meeting_time_must_be_aware(world: BoardWorld) -> None:
    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=world.secretary, board=world.board, title="Naive", starts_at=dt.datetime(2027, 1, 1, 18, 0)
        )  # noqa: DTZ001


def test_meeting_status_moves_forward_only_and_by_the_right_role(world: BoardWorld) -> None:
    meeting = world.meeting
    with pytest.raises(PermissionDenied):
        services.meeting_advance(actor=world.secretary, meeting=meeting, to=MeetingStatus.LIVE)
    services.meeting_advance(actor=world.chair, meeting=meeting, to=MeetingStatus.LIVE)
    with pytest.raises(ValidationError):
        services.meeting_advance(actor=world.chair, meeting=meeting, to=MeetingStatus.PUBLISHED)
    services.meeting_advance(actor=world.chair, meeting=meeting, to=MeetingStatus.CLOSED)
    services.meeting_advance(actor=world.secretary, meeting=meeting, to=MeetingStatus.MINUTED)
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.MINUTED


def test_a_new_version_records_checksum_and_pages_and_becomes_current(world: BoardWorld) -> None:
    data = make_pdf(["one", "two", "three"])
    version = document_services.paper_version_add(
        actor=world.secretary,
        paper=world.public_paper,
        data=data,
        original_name="../../etc/passwd.pdf",
        note="Corrected figures",
    )
    assert version.number == 2 and version.page_count == 3
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    stored_name = version.file.name or ""
    assert "passwd" not in stored_name and stored_name.startswith("papers/")
    with version.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == version.sha256
    world.public_paper.refresh_from_db()
    assert world.public_paper.current_version == version


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7 broken", b"PK\x03\x04 a zip"])
def test_non_pdf_or_damaged_uploads_are_refused_and_nothing_is_stored(world: BoardWorld, data: bytes) -> None:
    before = PaperVersion.objects.count()
    with pytest.raises(ValidationError):
        document_services.paper_version_add(actor=world.secretary, paper=world.public_paper, data=data)
    assert PaperVersion.objects.count() == before


def test_an_encrypted_pdf_is_refused_with_the_reason(world: BoardWorld) -> None:
    sample = corpus() / "005-libreoffice-writer-password_libreoffice-writer-password.pdf"
    with pytest.raises(ValidationError, match="remove the password"):
        document_services.paper_version_add(actor=world.secretary, paper=world.public_paper, data=sample.read_bytes())


def test_membership_terms_are_validated(world: BoardWorld) -> None:
    today = timezone.localdate()
    newcomer = UserFactory.create(username="newcomer")
    with pytest.raises(ValidationError):
        services.membership_create(
            actor=world.secretary,
            board=world.board,
            user=newcomer,
            role=Role.MEMBER,
            valid_from=today,
            valid_until=today - dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.membership_create(actor=world.secretary, board=world.board, user=newcomer, role="emperor")
    assert not Membership.objects.filter(user=newcomer).exists()

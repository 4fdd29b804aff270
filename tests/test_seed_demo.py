"""``manage.py seed_demo``: the demo charity board, its people, meetings and real PDF papers."""

from __future__ import annotations

import hashlib
import io

import pikepdf
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from boardroom import policy
from boardroom.policy import Action
from documents.models import Paper, PaperVersion
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Membership, Role

STANDING = (
    "Welcome and apologies",
    "Declarations of interest",
    "Minutes of the last meeting",
    "Any other business",
    "Date of next meeting",
)


def seed() -> str:
    out = io.StringIO()
    # Two papers a meeting keeps the test quick; they are still real WeasyPrint PDFs.
    call_command("seed_demo", papers="few", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db: None) -> str:
    return seed()


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_people_have_names_emails_and_the_shared_password(seeded: str) -> None:
    expected = {
        "margaret": "Margaret Okafor",
        "david": "David Chen",
        "priya": "Priya Shah",
        "tom": "Tom Whitfield",
        "aisha": "Aisha Rahman",
        "owen": "Owen Price",
        "sam": "Samuel Reid",
    }
    for username, name in expected.items():
        person = user(username)
        assert person.get_full_name() == name
        assert person.email == f"{username}@riverside-trust.example"
        assert person.check_password("boardroom-demo")
        assert not person.is_staff and not person.is_superuser
    admin = user("admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("boardroom-demo")
    assert not Membership.objects.filter(user=admin).exists()


def test_roles_on_the_two_boards(seeded: str) -> None:
    trustees = Board.objects.get(slug="trustees")
    finance = Board.objects.get(slug="finance-audit")
    assert trustees.name == "Board of Trustees" and trustees.organisation == "Riverside Community Trust"
    assert finance.name == "Finance & Audit Committee"

    def roles(board: Board) -> dict[str, str]:
        return dict(Membership.objects.current().filter(board=board).values_list("user__username", "role"))

    assert roles(trustees) == {
        "margaret": Role.CHAIR,
        "david": Role.SECRETARY,
        "priya": Role.MEMBER,
        "tom": Role.MEMBER,
        "aisha": Role.MEMBER,
        "owen": Role.OBSERVER,
    }
    assert roles(finance)["david"] == Role.SECRETARY
    assert roles(finance)["tom"] == Role.MEMBER
    assert roles(finance)["sam"] == Role.MEMBER
    assert Membership.objects.get(user__username="tom", board=trustees).title == "Treasurer"


def test_trustees_have_two_past_meetings_and_one_upcoming_with_full_agendas(seeded: str) -> None:
    now = timezone.now()
    meetings = list(Meeting.objects.filter(board__slug="trustees").order_by("starts_at"))
    past = [m for m in meetings if m.starts_at < now]
    upcoming = [m for m in meetings if m.starts_at >= now]
    assert len(past) == 2 and len(upcoming) == 1
    assert {m.status for m in past} <= {MeetingStatus.CLOSED, MeetingStatus.MINUTED}
    assert upcoming[0].status == MeetingStatus.PUBLISHED
    assert Meeting.objects.filter(board__slug="finance-audit", status=MeetingStatus.PUBLISHED).exists()

    for meeting in meetings:
        items = list(AgendaItem.objects.filter(meeting=meeting))
        top = [i for i in items if i.parent_id is None]
        assert 8 <= len(top) <= 12, meeting.title
        titles = {i.title for i in items}
        assert set(STANDING) <= titles
        assert any(i.title.startswith("Matters arising") for i in items)
        numbers: dict[int | None, str] = {i.pk: i.number for i in items}
        subs = [i for i in items if i.parent_id is not None]
        assert subs, f"{meeting.title} has no sub-items"
        assert all(i.number.startswith(f"{numbers[i.parent_id]}.") for i in subs)
        assert [i.sort_key for i in items] == sorted(i.sort_key for i in items)
        assert any(i.confidential for i in items), f"{meeting.title} has no Part B item"
        assert any(i.presenter_id for i in items) and any(i.presenter_name for i in items)
        assert {i.purpose for i in items} >= {"decision", "discussion", "information"}
        assert sum(i.duration_minutes for i in items) >= 60

    part_b = set(AgendaItem.objects.filter(confidential=True).values_list("title", flat=True))
    assert {"Chief executive's remuneration", "Property acquisition — commercial terms"} <= part_b


def test_papers_are_real_multi_page_pdfs_with_a_matching_checksum(seeded: str) -> None:
    versions = list(PaperVersion.objects.select_related("paper"))
    assert len(versions) >= 4
    assert Paper.objects.filter(current_version__isnull=True).count() == 0
    for version in versions:
        with version.file.open("rb") as handle:
            data = handle.read()
        assert data.startswith(b"%PDF-")
        assert hashlib.sha256(data).hexdigest() == version.sha256
        assert version.size == len(data)
        assert version.page_count > 1
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert len(pdf.pages) == version.page_count
        assert version.uploaded_by == user("david")


def test_running_twice_creates_nothing_new(seeded: str) -> None:
    models = (User, Board, Membership, Meeting, AgendaItem, Paper, PaperVersion)
    before = {model.__name__: model.objects.count() for model in models}
    statuses = dict(Meeting.objects.values_list("pk", "status"))

    output = seed()

    assert {model.__name__: model.objects.count() for model in models} == before
    assert dict(Meeting.objects.values_list("pk", "status")) == statuses
    assert "Nothing to add" in output


def test_output_lists_the_demo_logins(seeded: str) -> None:
    for username in ("margaret", "david", "priya", "tom", "aisha", "owen", "sam", "admin"):
        assert f"\n{username} " in seeded
    assert "boardroom-demo" in seeded
    assert "http://127.0.0.1:8000/" in seeded


def test_committee_member_cannot_see_the_trustees_board(seeded: str) -> None:
    sam = user("sam")
    trustees = Board.objects.get(slug="trustees")
    assert not policy.can(sam, Action.VIEW, trustees)
    assert list(policy.visible(sam, Board.objects.all()).values_list("slug", flat=True)) == ["finance-audit"]
    assert not policy.visible(sam, Meeting.objects.filter(board=trustees)).exists()


def test_observer_sees_the_agenda_but_no_part_b_item(seeded: str) -> None:
    owen = user("owen")
    meeting = Meeting.objects.filter(board__slug="trustees").latest("starts_at")
    assert policy.can(owen, Action.VIEW, meeting)
    visible = policy.visible(owen, AgendaItem.objects.filter(meeting=meeting))
    assert visible.exists()
    assert not visible.filter(confidential=True).exists()
    part_b = AgendaItem.objects.filter(meeting=meeting, confidential=True)
    assert part_b.exists()
    assert not any(policy.can(owen, Action.VIEW, item) for item in part_b)
    assert policy.visible(user("aisha"), part_b).count() == part_b.count()


def test_administrator_sees_no_board_content(seeded: str) -> None:
    admin = user("admin")
    assert not policy.visible(admin, Board.objects.all()).exists()
    assert not policy.visible(admin, Meeting.objects.all()).exists()
    assert not policy.visible(admin, Paper.objects.all()).exists()

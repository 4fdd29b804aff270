"""Written resolutions between meetings: drafted, circulated with a deadline, voted on, decided once."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from boardroom import policy
from boardroom.models import AuditEvent
from boardroom.policy import Action
from meetings import notices
from meetings.models import Majority, Notice, Resolution, ResolutionStatus, ResolutionVoter
from meetings.services import resolutions as services
from tests.auth import sign_in
from tests.conftest import BoardWorld

TEXT = "That the board approves the lease of the Wharf Street premises for five years."


def _soon(days: int = 7) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def draft(world: BoardWorld, **fields: Any) -> Resolution:
    values: dict[str, Any] = {"title": "Wharf Street lease", "text": TEXT, "deadline": _soon()}
    values.update(fields)
    return services.resolution_draft(actor=world.secretary, board=world.board, **values)


def circulated(world: BoardWorld, **fields: Any) -> Resolution:
    return services.resolution_circulate(actor=world.secretary, resolution=draft(world, **fields))


def actions(resolution: Resolution) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="resolution", object_id=str(resolution.pk))
        .exclude(action="resolution.view")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def past_deadline(resolution: Resolution) -> None:
    """As if the deadline had come while nobody was looking."""
    Resolution.objects.filter(pk=resolution.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    resolution.refresh_from_db()


# --- thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("majority", "eligible", "needed"),
    [
        (Majority.SIMPLE, 3, 2),
        (Majority.SIMPLE, 4, 3),
        (Majority.SIMPLE, 5, 3),
        (Majority.THREE_QUARTERS, 3, 3),
        (Majority.THREE_QUARTERS, 4, 3),
        (Majority.THREE_QUARTERS, 5, 4),
        (Majority.THREE_QUARTERS, 8, 6),
        (Majority.UNANIMOUS, 5, 5),
    ],
)
def test_the_threshold_is_counted_against_all_eligible_members(majority: str, eligible: int, needed: int) -> None:
    assert services.required_for(majority, eligible) == needed


# --- drafting and circulating ----------------------------------------------------------------


def test_only_the_secretary_drafts_and_members_see_nothing_until_it_is_circulated(world: BoardWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.resolution_draft(actor=world.member, board=world.board, title="x", text=TEXT, deadline=_soon())
    resolution = draft(world)
    assert resolution.status == ResolutionStatus.DRAFT
    assert policy.can(world.chair, Action.VIEW, resolution)
    assert not policy.can(world.member, Action.VIEW, resolution)
    assert sign_in(Client(), world.member).get(f"/resolutions/{resolution.pk}/").status_code == 404
    assert actions(resolution) == ["resolution.drafted"]


def test_circulating_freezes_the_eligible_voting_members_and_tells_them(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resolution = circulated(world)
    eligible = set(resolution.voters.values_list("user__username", flat=True))
    # The chair and members vote; not the secretary, observers, past or future members, outsiders.
    assert eligible == {"chair", "member", "recused"}
    assert resolution.text_sha256 and resolution.circulated_at is not None
    told = set(Notice.objects.filter(resolution=resolution).values_list("user__username", flat=True))
    assert told == eligible
    assert {m.to[0] for m in mail.outbox} == {f"{name}@example.org" for name in eligible}
    for message in mail.outbox:
        sent = f"{message.subject}\n{message.body}"
        assert resolution.title not in sent and "Wharf Street" not in sent
        assert f"/resolutions/{resolution.pk}/" in message.body
        assert "A written resolution has been circulated for your vote." in message.body
    # A member who joins later is not added: the list was fixed when it went out.
    assert actions(resolution) == ["resolution.drafted", "resolution.circulated"]


def test_circulated_text_cannot_be_edited(world: BoardWorld) -> None:
    resolution = circulated(world)
    with pytest.raises(ValidationError) as refused:
        services.resolution_update(
            actor=world.secretary, resolution=resolution, title="Changed", text="Other words", deadline=_soon()
        )
    assert refused.value.code == "frozen"
    resolution.refresh_from_db()
    assert resolution.text == TEXT
    response = sign_in(Client(), world.secretary).post(
        f"/resolutions/{resolution.pk}/edit/",
        {
            "title": "Changed",
            "text": "Other",
            "majority": "simple",
            "deadline_date": "2099-01-01",
            "deadline_time": "17:00",
        },
    )
    assert response.status_code == 409
    assert "can no longer change" in response.content.decode()


def test_a_draft_whose_deadline_has_passed_is_not_circulated(world: BoardWorld) -> None:
    resolution = draft(world)
    past_deadline(resolution)
    with pytest.raises(ValidationError, match="deadline has passed"):
        services.resolution_circulate(actor=world.secretary, resolution=resolution)


# --- voting and deciding ---------------------------------------------------------------------


def test_passes_as_soon_as_the_required_number_vote_for_it(world: BoardWorld) -> None:
    resolution = circulated(world)  # three eligible: two "for" pass it
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.CIRCULATED
    services.resolution_vote(actor=world.chair, resolution=resolution, choice="For")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.PASSED and resolution.decided_at is not None
    assert resolution.result["counts"] == {"For": 2, "Against": 0, "Abstain": 0}
    assert resolution.result["required"] == 2
    assert {v["name"] for v in resolution.result["no_response"]} == {world.recused.get_full_name()}
    assert len(resolution.result["eligible"]) == 3
    with pytest.raises(ValidationError) as refused:
        services.resolution_vote(actor=world.recused, resolution=resolution, choice="Against")
    assert refused.value.code == "closed"
    assert actions(resolution)[-1] == "resolution.passed"


def test_fails_as_soon_as_the_threshold_is_out_of_reach(world: BoardWorld) -> None:
    resolution = circulated(world, majority=Majority.UNANIMOUS)
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    services.resolution_vote(actor=world.chair, resolution=resolution, choice="Abstain")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.FAILED
    assert "can no longer be reached" in resolution.result["reason"]


def test_silence_is_not_agreement_a_simple_majority_of_those_voting_is_not_enough(world: BoardWorld) -> None:
    resolution = circulated(world)
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    past_deadline(resolution)
    closed = services.resolutions_close_due()
    assert [r.pk for r in closed] == [resolution.pk]
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.LAPSED  # 1 of 1 who voted, but 2 of 3 were needed


def test_a_member_may_change_their_vote_until_it_is_decided_and_a_double_tap_changes_nothing(
    world: BoardWorld,
) -> None:
    resolution = circulated(world)
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    services.resolution_vote(actor=world.member, resolution=resolution, choice="Against")
    voter = ResolutionVoter.objects.get(resolution=resolution, user=world.member)
    assert voter.choice == "Against"
    assert actions(resolution).count("resolution.vote") == 2
    with pytest.raises(ValidationError):
        services.resolution_vote(actor=world.member, resolution=resolution, choice="Maybe")


def test_only_eligible_members_vote(world: BoardWorld) -> None:
    resolution = circulated(world)
    for person in (world.secretary, world.observer):
        with pytest.raises(PermissionDenied):
            services.resolution_vote(actor=person, resolution=resolution, choice="For")
    assert not ResolutionVoter.objects.filter(resolution=resolution).exclude(choice="").exists()


def test_a_declared_interest_recuses_the_member_and_shrinks_the_count(world: BoardWorld) -> None:
    resolution = circulated(world, majority=Majority.UNANIMOUS)
    services.resolution_vote(actor=world.recused, resolution=resolution, choice="Against")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.FAILED  # unanimity broken at once
    resolution = circulated(world, majority=Majority.UNANIMOUS, title="Second")
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    services.resolution_vote(actor=world.recused, resolution=resolution, choice="For")
    services.resolution_declare_interest(
        actor=world.recused, resolution=resolution, nature="Director of the landlord company"
    )
    voter = ResolutionVoter.objects.get(resolution=resolution, user=world.recused)
    assert voter.recused and voter.choice == ""  # the vote is set aside
    assert not policy.can(world.recused, Action.PARTICIPATE, resolution)
    with pytest.raises(PermissionDenied):
        services.resolution_vote(actor=world.recused, resolution=resolution, choice="For")
    services.resolution_vote(actor=world.chair, resolution=resolution, choice="For")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.PASSED  # 2 of the 2 still eligible
    assert resolution.result["declarations"][0]["nature"] == "Director of the landlord company"
    assert resolution.result["eligible_count"] == 2
    assert "resolution.interest_declared" in actions(resolution)
    with pytest.raises(ValidationError):
        services.resolution_declare_interest(actor=world.member, resolution=resolution, nature="too late")


def test_an_empty_declaration_is_refused(world: BoardWorld) -> None:
    resolution = circulated(world)
    with pytest.raises(ValidationError, match="Say what the interest is"):
        services.resolution_declare_interest(actor=world.member, resolution=resolution, nature="  ")


# --- closing at the deadline -----------------------------------------------------------------


def test_the_command_closes_at_the_deadline_once_however_often_it_runs(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    resolution = circulated(world)
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    past_deadline(resolution)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_resolutions", stdout=out)
        call_command("close_resolutions", stdout=out)
    assert "Closed 1 resolution." in out.getvalue() and "Closed 0 resolutions." in out.getvalue()
    assert resolution.title not in out.getvalue()
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.LAPSED
    assert actions(resolution).count("resolution.lapsed") == 1
    told = Notice.objects.filter(resolution=resolution, kind=Notice.Kind.RESOLUTION_DECIDED)
    # Everyone who may see it hears the outcome, observers included; nobody else.
    assert set(told.values_list("user__username", flat=True)) == {"chair", "secretary", "member", "recused", "observer"}
    # Lazy closing on read finds nothing left to do.
    assert services.resolutions_close_due() == []


def test_a_decision_is_written_once_even_if_two_closers_race(world: BoardWorld) -> None:
    resolution = circulated(world)
    past_deadline(resolution)
    stale = Resolution.objects.get(pk=resolution.pk)  # loaded by a second closer before the first wrote
    assert services.resolutions_close_due() != []
    from django.db import transaction

    from meetings.services.resolutions import _decide

    with transaction.atomic():
        assert _decide(stale, status=ResolutionStatus.LAPSED, now=timezone.now()) is False
    assert actions(resolution).count("resolution.lapsed") == 1


def test_opening_the_page_after_the_deadline_closes_it(world: BoardWorld) -> None:
    resolution = circulated(world)
    past_deadline(resolution)
    body = sign_in(Client(), world.member).get(f"/resolutions/{resolution.pk}/").content.decode()
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.LAPSED
    assert "Lapsed at the deadline" in body and "Record for the minutes" in body
    assert actions(resolution).count("resolution.lapsed") == 1


def test_the_board_page_never_lists_a_stale_open_vote(world: BoardWorld) -> None:
    resolution = circulated(world)
    past_deadline(resolution)
    body = sign_in(Client(), world.observer).get(f"/boards/{world.board.pk}/").content.decode()
    assert "Lapsed at the deadline" in body and "Awaiting votes" not in body


# --- withdrawing -----------------------------------------------------------------------------


def test_the_secretary_withdraws_before_it_is_decided_and_not_after(world: BoardWorld) -> None:
    resolution = circulated(world)
    services.resolution_withdraw(actor=world.secretary, resolution=resolution, reason="Terms changed")
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.WITHDRAWN and resolution.result["reason"] == "Terms changed"
    with pytest.raises(ValidationError) as refused:
        services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    assert refused.value.code == "closed"
    with pytest.raises(PermissionDenied):
        services.resolution_withdraw(actor=world.member, resolution=circulated(world, title="Other"))
    decided = circulated(world, majority=Majority.UNANIMOUS, title="Third")
    services.resolution_vote(actor=world.member, resolution=decided, choice="Against")
    with pytest.raises(ValidationError, match="already decided"):
        services.resolution_withdraw(actor=world.secretary, resolution=decided)
    assert "resolution.withdrawn" in actions(resolution)


# --- over HTTP -------------------------------------------------------------------------------


def _form(**overrides: str) -> dict[str, str]:
    tomorrow = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = {
        "title": "Bank mandate",
        "text": "That the board adds the treasurer as a signatory.",
        "background": "",
        "majority": "simple",
        "allow_abstain": "on",
        "deadline_date": tomorrow,
        "deadline_time": "17:00",
        "client_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_drafting_form_refuses_bad_input_with_a_clear_message(world: BoardWorld) -> None:
    client = sign_in(Client(), world.secretary)
    url = f"/boards/{world.board.pk}/resolutions/new/"
    assert client.get(url).status_code == 200
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(url, _form(deadline_date=yesterday))
    assert response.status_code == 400 and "The deadline has already passed" in response.content.decode()
    response = client.post(url, _form(text="   "))
    assert response.status_code == 400 and "Write the text of the resolution" in response.content.decode()
    response = client.post(url, _form(deadline_date="not a date"))
    assert response.status_code == 400 and "Enter the date as a date." in response.content.decode()
    assert not Resolution.objects.exists()


def test_a_double_submitted_draft_makes_one_resolution(world: BoardWorld) -> None:
    client = sign_in(Client(), world.secretary)
    data = _form()
    first = client.post(f"/boards/{world.board.pk}/resolutions/new/", data)
    second = client.post(f"/boards/{world.board.pk}/resolutions/new/", data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Resolution.objects.count() == 1
    resolution = Resolution.objects.get()
    # The deadline is read in the board's zone, and shown with it.
    local = timezone.localtime(resolution.deadline, zoneinfo.ZoneInfo("Europe/London"))
    assert (local.date().isoformat(), local.strftime("%H:%M")) == (data["deadline_date"], "17:00")
    page = client.get(first["Location"]).content.decode()
    assert "(Europe/London)" in page and "17:00" in page


def test_double_tapping_circulate_gives_a_clear_conflict(world: BoardWorld) -> None:
    resolution = draft(world)
    client = sign_in(Client(), world.secretary)
    assert client.post(f"/resolutions/{resolution.pk}/circulate/").status_code == 302
    again = client.post(f"/resolutions/{resolution.pk}/circulate/")
    assert again.status_code == 409 and "already circulated" in again.content.decode()
    assert ResolutionVoter.objects.filter(resolution=resolution).count() == 3


def test_voting_over_http(world: BoardWorld) -> None:
    resolution = circulated(world)
    member = sign_in(Client(), world.member)
    page = member.get(f"/resolutions/{resolution.pk}/").content.decode()
    assert TEXT in page and 'name="choice" value="For"' in page
    assert member.post(f"/resolutions/{resolution.pk}/vote/", {"choice": "For"}).status_code == 302
    assert member.post(f"/resolutions/{resolution.pk}/vote/", {"choice": "For"}).status_code == 302  # double tap
    bad = member.post(f"/resolutions/{resolution.pk}/vote/", {"choice": "Perhaps"})
    assert bad.status_code == 400 and "Choose one of" in bad.content.decode()
    observer = sign_in(Client(), world.observer)
    assert 'name="choice"' not in observer.get(f"/resolutions/{resolution.pk}/").content.decode()
    refused = observer.post(f"/resolutions/{resolution.pk}/vote/", {"choice": "For"})
    assert refused.status_code == 403 and "not on the list" in refused.content.decode()
    for outsider in (world.former, world.future, world.outsider):
        response = sign_in(Client(), outsider).post(f"/resolutions/{resolution.pk}/vote/", {"choice": "For"})
        assert response.status_code == 404
    past_deadline(resolution)
    late = member.post(f"/resolutions/{resolution.pk}/vote/", {"choice": "Against"})
    assert late.status_code == 409 and "Voting closed at the deadline" in late.content.decode()
    assert ResolutionVoter.objects.get(resolution=resolution, user=world.member).choice == "For"


def test_declaring_over_http(world: BoardWorld) -> None:
    resolution = circulated(world)
    client = sign_in(Client(), world.member)
    empty = client.post(f"/resolutions/{resolution.pk}/declare/", {"nature": " "})
    assert empty.status_code == 400 and "Say what the interest is" in empty.content.decode()
    assert client.post(f"/resolutions/{resolution.pk}/declare/", {"nature": "Landlord's nephew"}).status_code == 302
    page = client.get(f"/resolutions/{resolution.pk}/").content.decode()
    assert "You declared an interest" in page and 'name="choice"' not in page


def test_confidential_resolutions_are_hidden_from_observers(world: BoardWorld) -> None:
    resolution = circulated(world, confidential=True)
    assert sign_in(Client(), world.observer).get(f"/resolutions/{resolution.pk}/").status_code == 404
    assert sign_in(Client(), world.member).get(f"/resolutions/{resolution.pk}/").status_code == 200
    assert "Wharf Street lease" not in sign_in(Client(), world.observer).get("/").content.decode()


def test_home_and_board_pages_show_what_awaits_the_member(world: BoardWorld) -> None:
    resolution = circulated(world)
    client = sign_in(Client(), world.member)
    home = client.get("/").content.decode()
    assert "Written resolution for your vote: Wharf Street lease" in home  # the notice
    assert "Your vote needed" in home
    client.get(f"/resolutions/{resolution.pk}/")
    assert all(n.resolution_id != resolution.pk for n in notices.unread_for(world.member))
    services.resolution_vote(actor=world.member, resolution=resolution, choice="Abstain")
    board = client.get(f"/boards/{world.board.pk}/").content.decode()
    assert "Wharf Street lease" in board and "You voted: Abstain" in board
    assert "Wharf Street lease" not in sign_in(Client(), world.outsider).get("/").content.decode()


def test_the_result_shows_who_voted_how_once_decided_and_not_before(world: BoardWorld) -> None:
    resolution = circulated(world)
    services.resolution_vote(actor=world.member, resolution=resolution, choice="For")
    secretary = sign_in(Client(), world.secretary)
    open_page = secretary.get(f"/resolutions/{resolution.pk}/").content.decode()
    assert "Responses so far" in open_page and "<td>Voted</td>" in open_page and "<td>For</td>" not in open_page
    services.resolution_vote(actor=world.chair, resolution=resolution, choice="For")
    page = sign_in(Client(), world.observer).get(f"/resolutions/{resolution.pk}/").content.decode()
    assert "Record for the minutes" in page and "<td>For</td>" in page and "No vote" in page


def test_a_member_whose_seat_ended_cannot_vote_or_see_it(world: BoardWorld) -> None:
    from meetings import services as meeting_services

    resolution = circulated(world)
    membership = world.member.memberships.get(board=world.board)
    meeting_services.membership_end(
        actor=world.secretary, membership=membership, on=timezone.localdate() - dt.timedelta(days=1)
    )
    member: User = User.objects.get(pk=world.member.pk)
    with pytest.raises(PermissionDenied):
        services.resolution_vote(actor=member, resolution=resolution, choice="For")
    assert sign_in(Client(), member).get(f"/resolutions/{resolution.pk}/").status_code == 404

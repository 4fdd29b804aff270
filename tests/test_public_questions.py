"""Questions and suggestions from the public: the form, its spam checks and limits, moderation
by the secretary, and the answer on the public page."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from meetings.models import MeetingStatus
from public import selectors, services, spam
from public.models import PublicQuestion, QuestionStatus
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.public_support import PublicExtras, open_to_the_public


@pytest.fixture
def extras(world: BoardWorld) -> PublicExtras:
    return open_to_the_public(world)


@pytest.fixture(autouse=True)
def _no_wait(settings: Any) -> None:
    """Tests do not sit out the form's minimum time; one test below checks it on its own."""
    settings.BOARDROOM_PUBLIC_MIN_SECONDS = 0


def ask_url(world: BoardWorld, item: Any = None) -> str:
    item = item or world.public_item
    return f"/public/{world.board.slug}/meetings/{world.meeting.pk}/items/{item.pk}/ask/"


def form_data(world: BoardWorld, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "question",
        "name": "Sam Resident",
        "email": "sam.resident@example.net",
        "text": "How will the new strategy affect the youth club?",
        "token": spam.form_token(world.public_item.pk, now=time.time() - 30),
        "website": "",
    }
    data.update(overrides)
    return data


def test_a_citizen_asks_and_it_waits_for_moderation(world: BoardWorld, extras: PublicExtras) -> None:
    client = Client()
    page = client.get(ask_url(world))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "private" in page["Cache-Control"]
    body = page.content.decode()
    assert 'name="token"' in body and 'name="website"' in body and "csrfmiddlewaretoken" in body
    response = client.post(ask_url(world), form_data(world))
    assert response.status_code == 303
    assert response["Location"].endswith(f"/items/{world.public_item.pk}/sent/")
    assert "Thank you" in client.get(response["Location"]).content.decode()
    question = PublicQuestion.objects.get(name="Sam Resident")
    assert question.status == QuestionStatus.PENDING and question.item == world.public_item
    assert len(question.sender_key) == 64 and "127.0.0.1" not in question.sender_key
    public_page = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert question.text not in public_page


def test_the_secretary_approves_answers_and_it_appears_publicly(world: BoardWorld, extras: PublicExtras) -> None:
    Client().post(ask_url(world), form_data(world))
    question = PublicQuestion.objects.get(name="Sam Resident")
    secretary = Client()
    sign_in(secretary, world.secretary)
    moderation = secretary.get(f"/meetings/{world.meeting.pk}/public-questions/")
    assert moderation.status_code == 200
    assert "sam.resident@example.net" in moderation.content.decode()  # the secretary may reply
    base = f"/meetings/{world.meeting.pk}/public-questions/{question.pk}"
    assert secretary.post(f"{base}/approve/").status_code == 302
    url = selectors.meeting_url(world.meeting)
    body = Client().get(url).content.decode()
    assert question.text in body and "Sam Resident" in body and "sam.resident@example.net" not in body
    secretary.post(f"{base}/answer/", {"answer": "It keeps its funding for three years."})
    question.refresh_from_db()
    assert question.answered_by == world.secretary and question.answered_at is not None
    assert "It keeps its funding for three years." in Client().get(url).content.decode()
    # For the minutes: the answered questions of the meeting, in agenda order.
    answered = selectors.answered_questions(world.meeting)
    assert [q.pk for q in answered] == [extras.approved.pk, question.pk]


def test_rejecting_needs_a_reason_and_hides_the_question(world: BoardWorld, extras: PublicExtras) -> None:
    with pytest.raises(ValidationError):
        services.question_reject(actor=world.secretary, question=extras.pending, reason="  ")
    services.question_reject(actor=world.secretary, question=extras.approved, reason="Names a member of staff")
    body = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert extras.approved.text not in body
    extras.approved.refresh_from_db()
    assert extras.approved.reason == "Names a member of staff"


def test_merging_a_duplicate_publishes_only_the_original(world: BoardWorld, extras: PublicExtras) -> None:
    duplicate = PublicQuestion.objects.create(
        item=world.public_item, name="Another", email="a@example.net", text="Library hours: are they safe?"
    )
    services.question_merge(actor=world.secretary, question=duplicate, into=extras.pending)
    duplicate.refresh_from_db()
    extras.pending.refresh_from_db()
    assert duplicate.status == QuestionStatus.MERGED and duplicate.merged_into == extras.pending
    assert extras.pending.status == QuestionStatus.APPROVED  # merging into a waiting one publishes it
    body = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert extras.pending.text in body and duplicate.text not in body
    with pytest.raises(ValidationError):
        services.question_merge(actor=world.secretary, question=extras.approved, into=extras.rejected)
    with pytest.raises(ValidationError):
        services.question_merge(actor=world.secretary, question=extras.approved, into=extras.approved)


@pytest.mark.parametrize("role", ["member", "observer", "chair"])
def test_only_those_who_manage_the_board_moderate(world: BoardWorld, extras: PublicExtras, role: str) -> None:
    user = getattr(world, role)
    client = Client()
    sign_in(client, user)
    response = client.get(f"/meetings/{world.meeting.pk}/public-questions/")
    post = client.post(f"/meetings/{world.meeting.pk}/public-questions/{extras.pending.pk}/approve/")
    extras.pending.refresh_from_db()
    if role == "chair":
        assert response.status_code == 200 and post.status_code == 302
        assert extras.pending.status == QuestionStatus.APPROVED
    else:
        assert response.status_code == 403 and post.status_code == 403
        assert extras.pending.status == QuestionStatus.PENDING
        with pytest.raises(PermissionDenied):
            services.question_approve(actor=user, question=extras.pending)


def test_outsiders_and_visitors_cannot_reach_moderation(world: BoardWorld, extras: PublicExtras) -> None:
    outsider = Client()
    sign_in(outsider, world.outsider)
    assert outsider.get(f"/meetings/{world.meeting.pk}/public-questions/").status_code == 404
    anonymous = Client().get(f"/meetings/{world.meeting.pk}/public-questions/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    secretary = Client()
    sign_in(secretary, world.secretary)
    assert (
        secretary.post(f"/meetings/{world.meeting.pk}/public-questions/{extras.pending.pk}/nonsense/").status_code
        == 404
    )
    other = f"/meetings/{world.other_meeting.pk}/public-questions/{extras.pending.pk}/approve/"
    assert secretary.post(other).status_code == 404


# --- spam and abuse ---------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_and_nothing_is_stored(world: BoardWorld, extras: PublicExtras) -> None:
    response = Client().post(ask_url(world), form_data(world, website="http://spam.example"))
    assert response.status_code == 400
    assert not PublicQuestion.objects.filter(name="Sam Resident").exists()


def test_a_form_sent_at_once_is_refused(world: BoardWorld, extras: PublicExtras, settings: Any) -> None:
    settings.BOARDROOM_PUBLIC_MIN_SECONDS = 4
    response = Client().post(ask_url(world), form_data(world, token=spam.form_token(world.public_item.pk)))
    assert response.status_code == 400
    assert "sent very quickly" in response.content.decode()
    assert not PublicQuestion.objects.filter(name="Sam Resident").exists()
    # The text is kept in the form so the person can simply send again.
    assert "How will the new strategy affect the youth club?" in response.content.decode()


@pytest.mark.parametrize(
    "token",
    ["", "forged", "a:b:c"],
)
def test_a_missing_or_forged_token_is_refused(world: BoardWorld, extras: PublicExtras, token: str) -> None:
    response = Client().post(ask_url(world), form_data(world, token=token))
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()


def test_a_token_for_another_item_or_too_old_is_refused(world: BoardWorld, extras: PublicExtras) -> None:
    from meetings import services as meeting_services

    other_item = meeting_services.agenda_item_add(actor=world.secretary, meeting=world.meeting, title="Strategy")
    response = Client().post(
        ask_url(world), form_data(world, token=spam.form_token(other_item.pk, now=time.time() - 30))
    )
    assert response.status_code == 400
    old = spam.form_token(world.public_item.pk, now=time.time() - 3 * 24 * 3600)
    with pytest.raises(spam.TokenProblem) as problem:
        spam.check_token(old, world.public_item.pk)
    assert problem.value.code in ("expired", "invalid")


def test_bad_fields_are_a_400_with_the_reasons(world: BoardWorld, extras: PublicExtras) -> None:
    response = Client().post(ask_url(world), form_data(world, email="not-an-email", text="short", kind="spam"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "at least a sentence" in body
    assert 'aria-invalid="true"' in body


def test_senders_are_limited_per_hour_by_address_and_by_email(
    world: BoardWorld, extras: PublicExtras, settings: Any
) -> None:
    settings.BOARDROOM_PUBLIC_QUESTIONS_PER_HOUR = 2
    client = Client()
    for n in range(2):
        assert client.post(ask_url(world), form_data(world, email=f"s{n}@example.net")).status_code == 303
    limited = client.post(ask_url(world), form_data(world, email="s9@example.net"))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Too many messages" in limited.content.decode()
    # The same email from another address is limited too.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post(ask_url(world), form_data(world, email="s0@example.net")).status_code == 303
    assert elsewhere.post(ask_url(world), form_data(world, email="s0@example.net")).status_code == 429
    # An hour later the window has moved on.
    PublicQuestion.objects.update(submitted_at=timezone.now() - dt.timedelta(hours=2))
    assert client.post(ask_url(world), form_data(world, email="s5@example.net")).status_code == 303


def test_part_b_items_and_private_boards_take_no_questions(world: BoardWorld, extras: PublicExtras) -> None:
    assert Client().get(ask_url(world, world.part_b_item)).status_code == 404
    data = form_data(world, token=spam.form_token(world.part_b_item.pk, now=time.time() - 30))
    assert Client().post(ask_url(world, world.part_b_item), data).status_code == 404
    world.board.public_site = False
    world.board.save(update_fields=["public_site"])
    assert Client().post(ask_url(world), form_data(world)).status_code == 404
    assert not PublicQuestion.objects.filter(name="Sam Resident").exists()


def test_questions_close_when_the_meeting_starts_or_the_board_stops_them(
    world: BoardWorld, extras: PublicExtras
) -> None:
    world.board.public_questions = False
    world.board.save(update_fields=["public_questions"])
    closed = Client().post(ask_url(world), form_data(world))
    assert closed.status_code == 403 and "Questions are closed" in closed.content.decode()
    world.board.public_questions = True
    world.board.save(update_fields=["public_questions"])
    world.meeting.status = MeetingStatus.LIVE
    world.meeting.save(update_fields=["status"])
    assert Client().get(ask_url(world)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.question_submit(
            item=world.public_item, name="X", email="x@example.net", text="A question in time?", sender_key="k"
        )


def test_only_get_and_post_are_answered(world: BoardWorld, extras: PublicExtras) -> None:
    assert Client().put(ask_url(world)).status_code == 405

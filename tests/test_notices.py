"""Publishing tells every member who may see the meeting; emails are batched and carry no content."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from meetings import notices, services
from meetings.models import Notice
from tests.auth import sign_in
from tests.conftest import BoardWorld


def test_publishing_emails_and_notifies_everyone_who_may_see_it(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_publish(actor=world.secretary, meeting=world.draft)
    told = set(Notice.objects.filter(meeting=world.draft).values_list("user__username", flat=True))
    assert told == {"chair", "member", "recused", "observer"}  # not the secretary who published, nor outsiders
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {f"{name}@example.org" for name in told}
    body = mail.outbox[0].body
    assert world.draft.title in mail.outbox[0].subject and f"/meetings/{world.draft.pk}/" in body


def test_a_notice_email_stands_alone_with_when_where_and_an_ics(
    world: BoardWorld, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.BOARDROOM_SITE_URL = "https://board.riverside.example"
    world.draft.location = "Committee Room 2, Town Hall"
    world.draft.video_url = "https://video.example.org/trustees"
    world.draft.save(update_fields=["location", "video_url"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_publish(actor=world.secretary, meeting=world.draft)
    message = next(m for m in mail.outbox if m.to == ["member@example.org"])
    starts = world.draft.starts_at.astimezone(zoneinfo.ZoneInfo(world.board.time_zone))
    assert f"When: {starts:%A} {starts.day} {starts:%B %Y}, {starts:%H:%M}" in message.body
    assert "Where: Committee Room 2, Town Hall" in message.body
    assert "Video call: https://video.example.org/trustees" in message.body
    assert f"https://board.riverside.example/meetings/{world.draft.pk}/" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name.endswith(".ics") and mimetype == "text/calendar"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == world.draft.starts_at.replace(microsecond=0)
    assert world.public_item.title not in message.body  # never an item title


def test_a_second_change_within_two_hours_waits_for_the_next_batch(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_publish(actor=world.secretary, meeting=world.draft)
    first = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        notices.notify(
            meeting=world.draft, kind=Notice.Kind.PAPERS_CHANGED, text="Papers were updated.", users=[world.member]
        )
    assert len(mail.outbox) == first  # in-app only for now
    assert Notice.objects.filter(user=world.member, meeting=world.draft, emailed_at__isnull=True).count() == 1
    sent, due = notices.send_due_emails(world.draft, now=timezone.now() + dt.timedelta(hours=2, minutes=1))
    assert sent == 1 and due is None
    assert (
        "Papers have been added or updated." in mail.outbox[-1].body
        and "Papers were updated." not in mail.outbox[-1].body
    )


def test_people_who_lost_access_are_not_emailed(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notices.notify(meeting=world.meeting, kind=Notice.Kind.PAPERS_CHANGED, text="x", users=[world.outsider])
    assert "outsider@example.org" not in {m.to[0] for m in mail.outbox}


def test_notices_show_on_home_and_clear_when_the_meeting_is_opened(world: BoardWorld) -> None:
    services.meeting_publish(actor=world.secretary, meeting=world.draft)
    client = sign_in(Client(), world.member)
    assert "are ready to read" in client.get("/").content.decode()
    client.get(f"/meetings/{world.draft.pk}/")
    assert all(n.meeting_id != world.draft.pk for n in notices.unread_for(world.member))


def test_a_meeting_downloads_as_ics_for_those_who_may_see_it(world: BoardWorld) -> None:
    response = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/calendar.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar") and "BEGIN:VEVENT" in body
    assert world.meeting.title in body and "Pay review" not in body
    assert sign_in(Client(), world.outsider).get(f"/meetings/{world.meeting.pk}/calendar.ics").status_code == 404


def test_the_private_feed_lists_only_what_its_owner_may_see(world: BoardWorld) -> None:
    from meetings.calendar import feed_token

    token = feed_token(world.observer)
    body = Client().get(f"/calendar/{token}.ics").content.decode()
    assert world.meeting.title in body and world.draft.title not in body and "Hillside" not in body
    assert Client().get("/calendar/not-a-token.ics").status_code == 404
    renewed = feed_token(world.observer, renew=True)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
    assert Client().get(f"/calendar/{renewed}.ics").status_code == 200
    membership = world.observer.memberships.get(board=world.board)
    services.membership_end(actor=world.secretary, membership=membership)
    assert world.meeting.title not in Client().get(f"/calendar/{renewed}.ics").content.decode()


def test_a_new_version_tells_exactly_those_who_may_see_the_paper(world: BoardWorld) -> None:
    from documents import services as document_services
    from meetings.models import MeetingEvent
    from tests.pdfs import make_pdf

    document_services.paper_version_add(
        actor=world.secretary,
        paper=world.part_b_paper,
        data=make_pdf(["Pay review", "new page"]),
        note="Benchmark added",
    )
    told = set(Notice.objects.filter(kind="papers_changed").values_list("user__username", flat=True))
    assert told == {"chair", "member", "recused"}  # not the observer (Part B), not the uploader
    text = Notice.objects.filter(kind="papers_changed").first().text  # type: ignore[union-attr]
    assert "version 2" in text and "Benchmark added" in text
    event = MeetingEvent.objects.get(type="paper.updated")
    assert event.item_id == world.part_b_item.pk and event.data["page_diff"]["added"] == [2]


def test_the_secretary_sees_who_opened_which_paper(world: BoardWorld) -> None:
    from documents.models import PaperRead

    member = sign_in(Client(), world.member)
    member.get(f"/papers/{world.public_paper.pk}/pdf")
    member.get(f"/papers/{world.public_paper.pk}/pdf")
    read = PaperRead.objects.get(paper=world.public_paper, user=world.member)
    assert read.opens == 2 and read.last_version == 1
    page = sign_in(Client(), world.secretary).get(f"/meetings/{world.meeting.pk}/agenda/").content.decode()
    assert "Opened by 1" in page


def test_no_feed_lists_a_draft_meeting_not_even_its_preparers(world: BoardWorld) -> None:
    """Drafts (with their place and video link) stay out of every feed; the secretary still sees
    the draft in the portal and may download its own .ics there."""
    from meetings.calendar import feed_token

    world.draft.location = "Boardroom 3, Hidden House"
    world.draft.video_url = "https://video.example/draft-call"
    world.draft.save(update_fields=["location", "video_url"])
    for person in (world.secretary, world.chair, world.member):
        body = Client().get(f"/calendar/{feed_token(person)}.ics").content.decode()
        assert world.meeting.title in body, person
        assert world.draft.title not in body and "Hidden House" not in body and "draft-call" not in body, person
    single = sign_in(Client(), world.secretary).get(f"/meetings/{world.draft.pk}/calendar.ics")
    assert single.status_code == 200 and "STATUS:TENTATIVE" in single.content.decode()
    services.meeting_publish(actor=world.secretary, meeting=world.draft)
    assert world.draft.title in Client().get(f"/calendar/{feed_token(world.member)}.ics").content.decode()


# --- notices follow the policy on their item, whenever they are shown ---------------------------


def _mention(world: BoardWorld, item: Any, who: Any) -> None:
    import uuid

    from documents import services as document_services

    document_services.comment_create(
        actor=world.chair, item=item, body=f"@{who.username} please read this first", client_id=uuid.uuid4()
    )


def _home(user: Any) -> str:
    return sign_in(Client(), user).get("/").content.decode()


def test_notices_about_an_item_disappear_when_it_becomes_part_b(world: BoardWorld) -> None:
    """The observer was told of a mention and a new paper on a public item; once the item is Part B
    their home page shows neither notice nor title (without their opening the meeting)."""
    from documents import services as document_services
    from tests.pdfs import make_pdf

    item = services.agenda_item_add(actor=world.secretary, meeting=world.meeting, title="Secret merger talks")
    _mention(world, item, world.observer)
    paper = document_services.paper_create(actor=world.secretary, item=item, title="Heads of terms")
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=make_pdf(["Terms"]))
    home = _home(world.observer)
    assert "mentioned you in a comment on item" in home and "Secret merger talks" in home
    assert "New paper for item" in home and "Heads of terms" in home
    assert "[item:" not in home  # the reference is never shown

    services.agenda_item_update(actor=world.secretary, item=item, confidential=True)
    home = _home(world.observer)
    assert "Secret merger talks" not in home and "Heads of terms" not in home
    assert "mentioned you" not in home and "New paper for item" not in home
    assert all(
        "Secret merger" not in n.text and "Heads of terms" not in n.text for n in notices.unread_for(world.observer)
    )
    # A member may still see the Part B item: their notices stay.
    assert "Heads of terms" in _home(world.member)


def test_notices_about_an_item_disappear_once_the_reader_declares_an_interest(world: BoardWorld) -> None:
    _mention(world, world.part_b_item, world.member)
    assert "Chief executive&#x27;s pay" in _home(world.member)
    services.declaration_record(actor=world.member, item=world.part_b_item, user=world.member, nature="Related")
    home = _home(world.member)
    assert "Chief executive" not in home and "mentioned you" not in home
    assert all("Chief executive" not in n.text for n in notices.unread_for(world.member))


def test_emails_sent_after_the_change_leave_out_hidden_notices(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    notices.send_due_emails(world.meeting, now=timezone.now() - dt.timedelta(hours=3))  # publishing's, done
    mail.outbox.clear()
    _mention(world, world.public_item, world.observer)
    services.agenda_item_update(actor=world.secretary, item=world.public_item, confidential=True)
    notices.send_due_emails(world.meeting)
    assert "observer@example.org" not in {m.to[0] for m in mail.outbox}
    # Another notice, about the meeting as a whole, still goes, without the mention.
    notices.notify(meeting=world.meeting, kind=Notice.Kind.AGENDA_CHANGED, text="Agenda.", users=[world.observer])
    notices.send_due_emails(world.meeting)
    to_observer = [m for m in mail.outbox if m.to == ["observer@example.org"]]
    assert len(to_observer) == 1 and "agenda has changed" in to_observer[0].body
    assert "mentioned" not in to_observer[0].body


def test_an_old_notice_without_an_item_reference_is_not_shown_unchecked(world: BoardWorld) -> None:
    """Notices written before items were referenced cannot be checked; those naming an item wait
    for the meeting page instead of showing a title that may no longer be the reader's to see."""
    Notice.objects.create(
        user=world.observer,
        meeting=world.meeting,
        kind=Notice.Kind.MENTIONED,
        text="Chair mentioned you in a comment on item 3: Secret merger talks.",
    )
    Notice.objects.create(
        user=world.observer, meeting=world.meeting, kind=Notice.Kind.PAPERS_CHANGED, text="The pack was reissued."
    )
    home = _home(world.observer)
    assert "Secret merger talks" not in home and "The pack was reissued." in home

"""Minutes: taken during the meeting, circulated, approved, signed by the chair, archived as PDF/A."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from boardroom import audit
from meetings import services as meeting_services
from meetings.models import AgendaItem, Meeting, MeetingStatus, Resolution, ResolutionStatus
from minutes import pdf, services
from minutes.models import ActionStatus, ApprovalRoute, MinuteItem, Minutes, MinutesRender, MinutesStatus
from tests.auth import authenticator, current_code, sign_in
from tests.conftest import BoardWorld
from tests.factories import MeetingFactory


def hold_meeting(world: BoardWorld) -> Meeting:
    """The chair runs the March meeting: attendance, a vote on each item, then closes it."""
    meeting = meeting_services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    for person, status in (
        (world.chair, "present"),
        (world.member, "present"),
        (world.recused, "present"),
        (world.secretary, "present"),
        (world.observer, "apologies"),
    ):
        meeting_services.attendance_mark(actor=world.secretary, meeting=meeting, user=person, status=status)
    for item, text in ((world.public_item, "That the accounts are approved"), (world.part_b_item, "That pay rises 3%")):
        motion = meeting_services.motion_open(actor=world.chair, item=item, text=text)
        meeting_services.vote_cast(actor=world.member, motion=motion, choice="For")
        meeting_services.vote_cast(actor=world.chair, motion=motion, choice="For")
        meeting_services.motion_close(actor=world.chair, motion=motion)
    return meeting_services.meeting_advance(actor=world.chair, meeting=meeting, to=MeetingStatus.CLOSED)


def later_meeting(world: BoardWorld, status: str = MeetingStatus.LIVE) -> Meeting:
    return MeetingFactory.create(
        board=world.board,
        title="April board meeting",
        starts_at=world.meeting.starts_at + dt.timedelta(days=30),
        status=status,
    )


def approval_at(world: BoardWorld, minutes: Minutes, meeting: Meeting | None = None) -> ApprovalRoute:
    """Put the minutes on a later meeting's agenda (a held one unless ``meeting`` says otherwise)."""
    return services.approval_route_item(
        actor=world.secretary, minutes=minutes, meeting=meeting if meeting is not None else later_meeting(world)
    )


def entry_of(minutes: Minutes, item: Any) -> MinuteItem:
    return MinuteItem.objects.get(minutes=minutes, item=item)


def signed_minutes(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> Minutes:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = entry_of(minutes, world.public_item)
    services.minute_save(
        actor=world.secretary, entry=entry, body="<p>The treasurer presented the <b>accounts</b>.</p>", base_version=1
    )
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    services.minutes_approve(actor=world.secretary, minutes=minutes, route=approval_at(world, minutes))
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_sign(actor=world.chair, minutes=minutes)
    minutes.refresh_from_db()
    return minutes


def test_minutes_start_filled_from_the_live_meeting(world: BoardWorld) -> None:
    """Attendance, apologies, declarations and vote results are there without retyping."""
    from minutes import record

    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    assert minutes.entries.count() == 2
    rec = record.record_of(minutes)
    present = {p["name"] for p in rec["attendance"]["present"]}
    assert world.member.get_full_name() in present
    assert [p["name"] for p in rec["attendance"]["apologies"]] == [world.observer.get_full_name()]
    assert [p["name"] for p in rec["attendance"]["in_attendance"]] == [world.secretary.get_full_name()]
    assert rec["declarations"][0]["nature"] == "Director of the firm that audits the accounts"
    assert {v["outcome"] for v in rec["votes"]} == {"carried"}
    decision = entry_of(minutes, world.public_item).decisions.get()
    assert decision.motion is not None and "That the accounts are approved" in decision.text
    # Idempotent: opening the page again adds nothing.
    services.minutes_start(actor=world.secretary, meeting=world.meeting)
    assert entry_of(minutes, world.public_item).decisions.count() == 1


def test_whole_workflow_end_to_end(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    minutes = signed_minutes(world, django_capture_on_commit_callbacks)
    assert minutes.status == MinutesStatus.SIGNED
    assert minutes.signed_by == world.chair and minutes.signed_at is not None
    assert len(minutes.content_sha256) == 64 and services.verify_signature(minutes)
    world.meeting.refresh_from_db()
    assert world.meeting.status == MeetingStatus.MINUTED
    full = MinutesRender.objects.get(minutes=minutes, full=True)
    cuts = sorted(r.items for r in MinutesRender.objects.filter(minutes=minutes, full=False))
    assert cuts == [[world.public_item.pk], [world.part_b_item.pk]]  # the observer's, the recused member's
    actions = set(audit.AuditEvent.objects.filter(object_id=str(minutes.pk)).values_list("action", flat=True))
    assert {"minutes.started", "minutes.saved", "minutes.circulated", "minutes.approved", "minutes.signed"} <= actions
    assert "minutes.rendered" in actions
    # Locked: no more edits, only amendments.
    with pytest.raises(ValidationError):
        services.minute_save(
            actor=world.secretary, entry=entry_of(minutes, world.public_item), body="<p>x</p>", base_version=2
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.amendment_add(actor=world.secretary, minutes=minutes, text="The accounts were for 2025.")
    assert MinutesRender.objects.filter(minutes=minutes, revision=2, full=True).exists()
    assert MinutesRender.objects.get(pk=full.pk).sha256 == full.sha256  # revision 1 kept as it was


def test_archive_pdf_is_pdf_a_and_its_hash_verifies(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    minutes = signed_minutes(world, django_capture_on_commit_callbacks)
    render = MinutesRender.objects.get(minutes=minutes, full=True)
    data = render.file.open("rb").read()
    assert hashlib.sha256(data).hexdigest() == render.sha256
    with pikepdf.open(io.BytesIO(data)) as doc:
        meta = doc.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        assert "/OutputIntents" in doc.Root
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
    assert minutes.content_sha256 in text.replace("\r", "").replace("\n", "")
    assert "treasurer presented" in text and "Pay review" not in text
    assert "That pay rises" in text  # the full record holds Part B
    part_a = MinutesRender.objects.get(minutes=minutes, full=False, cut=services.cut_key([world.public_item.pk]))
    part_a = part_a.file.open("rb").read()
    part_a_text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(part_a))
    assert "That pay rises" not in part_a_text and "accounts" in part_a_text


def test_a_second_download_is_the_same_file_not_a_new_render(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    minutes = signed_minutes(world, django_capture_on_commit_callbacks)
    made = MinutesRender.objects.filter(minutes=minutes).count()
    client = sign_in(Client(), world.member)
    first = client.get(f"/meetings/{world.meeting.pk}/minutes.pdf")
    second = client.get(f"/meetings/{world.meeting.pk}/minutes.pdf")
    assert first.status_code == second.status_code == 200
    assert first["X-Content-SHA256"] == second["X-Content-SHA256"]
    assert MinutesRender.objects.filter(minutes=minutes).count() == made


def test_each_reader_sees_the_fingerprint_of_the_file_they_download(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    """The page shows each reader the SHA-256 of their own cut; only readers of every item see
    it called the full record."""
    signed_minutes(world, django_capture_on_commit_callbacks)
    seen = {}
    for person in (world.chair, world.secretary, world.member, world.observer, world.recused):
        client = sign_in(Client(), person)
        page = client.get(f"/meetings/{world.meeting.pk}/minutes/").content.decode()
        shown = re.search(r'data-copy-sha256="([0-9a-f]{64})"', page)
        assert shown, person.username
        response = client.get(f"/meetings/{world.meeting.pk}/minutes.pdf")
        data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert hashlib.sha256(data).hexdigest() == shown.group(1) == response["X-Content-SHA256"], person.username
        assert ("full record" in page) == (person not in (world.observer, world.recused)), person.username
        seen[person.username] = shown.group(1)
    assert seen["chair"] == seen["member"] and len({seen["chair"], seen["observer"], seen["recused"]}) == 3


def test_recused_member_gets_a_copy_without_their_item(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    minutes = signed_minutes(world, django_capture_on_commit_callbacks)
    response = sign_in(Client(), world.recused).get(f"/meetings/{world.meeting.pk}/minutes.pdf")
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
    assert "treasurer presented" not in text and "That pay rises" in text
    render = MinutesRender.objects.get(minutes=minutes, sha256=response["X-Content-SHA256"])
    assert render.items == [world.part_b_item.pk]


def test_second_save_from_an_old_version_is_refused_with_both_texts(world: BoardWorld) -> None:
    """Two editors: the second save is a 409 carrying both texts; nothing is overwritten."""
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = entry_of(minutes, world.public_item)
    first = sign_in(Client(), world.secretary)
    second = sign_in(Client(), world.chair)
    headers = {"accept": "application/json"}
    url = f"/minutes/entries/{entry.pk}/"
    ok = first.post(url, {"body": "<p>Alpha text</p>", "version": "1", "decisions": ""}, headers=headers)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    clash = second.post(url, {"body": "<p>Beta text</p>", "version": "1"}, headers=headers)
    assert clash.status_code == 409
    payload = clash.json()
    assert payload["theirs"] == "<p>Alpha text</p>" and payload["mine"] == "<p>Beta text</p>"
    assert payload["version"] == 2
    entry.refresh_from_db()
    assert entry.body == "<p>Alpha text</p>"
    merged = second.post(url, {"body": "<p>Alpha text</p><p>Beta text</p>", "version": "2"}, headers=headers)
    assert merged.status_code == 200
    entry.refresh_from_db()
    assert "Alpha" in entry.body and "Beta" in entry.body and entry.version == 3
    # Without script the same refusal is a page showing both texts.
    page = first.post(url, {"body": "<p>Gamma</p>", "version": "2"})
    assert page.status_code == 409
    assert "Beta text" in page.content.decode() and "Gamma" in page.content.decode()


def test_minute_html_is_sanitised(world: BoardWorld) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = services.minute_save(
        actor=world.secretary,
        entry=entry_of(minutes, world.public_item),
        body='<p onclick="x()">Hi <script>alert(1)</script><img src=x onerror=y><a href="javascript:z">l</a>'
        '<span style="color:red">s</span></p><ul><li>one</li></ul>',
        base_version=1,
    )
    assert entry.body == "<p>Hi l<span>s</span></p><ul><li>one</li></ul>".replace("<span>s</span>", "s")


@pytest.mark.parametrize(
    "body,status",
    [
        ({"body": "<p>x</p>"}, 400),
        ({"body": "<p>x</p>", "version": "abc"}, 400),
        ({"body": "x" * 200_001, "version": "1"}, 409),
    ],
)
def test_bad_saves_are_clear_4xx(world: BoardWorld, body: dict[str, str], status: int) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    client = sign_in(Client(), world.secretary)
    response = client.post(f"/minutes/entries/{entry_of(minutes, world.public_item).pk}/", body)
    assert response.status_code == status


def test_workflow_order_is_enforced(world: BoardWorld) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    route = approval_at(world, minutes)
    with pytest.raises(ValidationError):
        services.minutes_approve(actor=world.secretary, minutes=minutes, route=route)
    with pytest.raises(PermissionDenied):
        services.minutes_circulate(actor=world.member, minutes=minutes)
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    with pytest.raises(ValidationError):
        services.minutes_sign(actor=world.chair, minutes=minutes)
    upcoming = approval_at(world, minutes, later_meeting(world, status=MeetingStatus.PUBLISHED))
    with pytest.raises(ValidationError, match="not been held"):
        services.minutes_approve(actor=world.secretary, minutes=minutes, route=upcoming)
    with pytest.raises(PermissionDenied):
        services.minutes_sign(actor=world.secretary, minutes=minutes)


def test_approval_by_written_resolution(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    client = sign_in(Client(), world.secretary)
    response = client.post(f"/meetings/{world.meeting.pk}/minutes/approval-route/", {"how": "resolution"})
    assert response.status_code == 302
    route = ApprovalRoute.objects.get(minutes=minutes)
    drafted = route.resolution
    assert drafted is not None and drafted.status == ResolutionStatus.DRAFT
    assert world.meeting.title in drafted.text and response["Location"] == f"/resolutions/{drafted.pk}/edit/"
    with pytest.raises(ValidationError, match="passed"):
        services.minutes_approve(actor=world.secretary, minutes=minutes, route=route)
    Resolution.objects.filter(pk=drafted.pk).update(status=ResolutionStatus.PASSED, decided_at=timezone.now())
    response = client.post(f"/meetings/{world.meeting.pk}/minutes/approve/", {"route": route.pk})
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.APPROVED and minutes.approved_by_resolution_id == drafted.pk
    chair = sign_in(Client(), world.chair)
    sign_url = f"/meetings/{world.meeting.pk}/minutes/sign/"
    # Signing asks for the second factor again: no code, or a wrong one, signs nothing.
    assert chair.post(sign_url).status_code == 400
    device = authenticator(world.chair)
    right = current_code(device)
    assert chair.post(sign_url, {"code": f"{(int(right) + 1) % 1_000_000:06d}"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code pauses the device a second or two (django-otp's throttle)
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        response = chair.post(sign_url, {"code": right})
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.SIGNED


def test_an_unrelated_resolution_or_item_cannot_approve_minutes(world: BoardWorld) -> None:
    """The trap of a board with one passed resolution on record: it approved other minutes (or
    something else entirely), so it is not offered, preselected or accepted for these."""
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    unrelated = Resolution.objects.create(
        board=world.board,
        title="Approval of the minutes of meeting 47",
        text="That…",
        deadline=timezone.now(),
        status=ResolutionStatus.PASSED,
        decided_at=timezone.now(),
    )
    other_minutes_meeting = later_meeting(world)
    later_item = AgendaItem.objects.create(meeting=other_minutes_meeting, title="Minutes of the last meeting")
    page = sign_in(Client(), world.secretary).get(f"/meetings/{world.meeting.pk}/minutes/").content.decode()
    assert unrelated.title not in page
    assert 'name="route"' not in page and " checked" not in page.split('id="approve-heading"')[1].split("</section>")[0]
    # Routes of other minutes are refused, even posted by hand.
    other = Minutes.objects.create(meeting=other_minutes_meeting)
    foreign = ApprovalRoute.objects.create(minutes=other, resolution=unrelated)
    response = sign_in(Client(), world.secretary).post(
        f"/meetings/{world.meeting.pk}/minutes/approve/", {"route": foreign.pk}
    )
    assert response.status_code == 400
    with pytest.raises(ValidationError, match="not put to the board for these minutes"):
        services.minutes_approve(actor=world.secretary, minutes=minutes, route=foreign)
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.CIRCULATED and minutes.approved_by_resolution is None
    # The later meeting's standing item becomes a route only when the secretary links it.
    route = services.approval_route_item(actor=world.secretary, minutes=minutes, item=later_item)
    services.minutes_approve(actor=world.chair, minutes=minutes, route=route)
    minutes.refresh_from_db()
    assert minutes.approved_at_meeting_id == other_minutes_meeting.pk
    earlier = MeetingFactory.create(
        board=world.board, title="February meeting", starts_at=world.meeting.starts_at - dt.timedelta(days=30)
    )
    with pytest.raises(ValidationError, match="already approves"):
        services.approval_route_item(
            actor=world.secretary, minutes=Minutes.objects.create(meeting=earlier), item=later_item
        )


def test_members_see_circulated_minutes_but_not_drafts(world: BoardWorld) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    services.minute_save(
        actor=world.secretary, entry=entry_of(minutes, world.part_b_item), body="<p>Pay secret</p>", base_version=1
    )
    url = f"/meetings/{world.meeting.pk}/minutes/"
    assert sign_in(Client(), world.member).get(url).status_code == 404
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    assert "Pay secret" in sign_in(Client(), world.member).get(url).content.decode()
    observer_page = sign_in(Client(), world.observer).get(url)
    assert observer_page.status_code == 200 and "Pay secret" not in observer_page.content.decode()
    assert sign_in(Client(), world.outsider).get(url).status_code == 404
    comment = sign_in(Client(), world.member).post(f"{url}comment/", {"body": "Typo in item 2"})
    assert comment.status_code == 302 and minutes.comments.count() == 1
    assert sign_in(Client(), world.observer).post(f"{url}comment/", {"body": "x"}).status_code == 403


def test_actions_tracked_overdue_updated_by_owner_and_carried_forward(world: BoardWorld) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = entry_of(minutes, world.public_item)
    client = sign_in(Client(), world.secretary)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"/minutes/entries/{entry.pk}/actions/",
        {"description": "Send the accounts to the auditors", "owner": world.member.pk, "due": yesterday},
    )
    assert response.status_code == 302
    bad = client.post(f"/minutes/entries/{entry.pk}/actions/", {"description": "x", "due": "31/02/2020"})
    assert bad.status_code == 400
    outsider = client.post(f"/minutes/entries/{entry.pk}/actions/", {"description": "x", "owner": world.outsider.pk})
    assert outsider.status_code == 400
    action = entry.actions.get()
    assert action.overdue
    member = sign_in(Client(), world.member)
    tracker = member.get("/actions/?person=me").content.decode()
    assert "Send the accounts to the auditors" in tracker and "Overdue" in tracker
    # Another member cannot move it on; the owner can.
    assert sign_in(Client(), world.chair).get("/actions/").status_code == 200
    assert (
        sign_in(Client(), world.observer).post(f"/actions/{action.pk}/status/", {"status": "done"}).status_code == 404
    )
    assert member.post(f"/actions/{action.pk}/status/", {"status": "bogus"}).status_code == 400
    services.minutes_circulate(actor=world.secretary, minutes=minutes)
    assert (
        member.post(f"/actions/{action.pk}/status/", {"status": "in_progress", "note": "Sent draft"}).status_code == 302
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS and action.is_open
    # The next meeting's minutes list it under matters arising.
    nxt = later_meeting(world)
    page = client.get(f"/meetings/{nxt.pk}/minutes/").content.decode()
    assert "Matters arising" in page and "Send the accounts to the auditors" in page
    member.post(f"/actions/{action.pk}/status/", {"status": "done"})
    assert "Send the accounts to the auditors" not in client.get(f"/meetings/{nxt.pk}/minutes/").content.decode()


def test_secretary_page_shows_the_record_and_editor(world: BoardWorld) -> None:
    hold_meeting(world)
    page = sign_in(Client(), world.secretary).get(f"/meetings/{world.meeting.pk}/minutes/").content.decode()
    assert "Director of the firm that audits the accounts" in page
    assert "That the accounts are approved" in page and "carried" in page
    assert "data-minute-form" in page and "js/minutes.js" in page


def test_archive_lists_the_signed_minutes(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    signed_minutes(world, django_capture_on_commit_callbacks)
    page = sign_in(Client(), world.member).get("/archive/").content.decode()
    assert f"/meetings/{world.meeting.pk}/minutes.pdf" in page and f"/meetings/{world.meeting.pk}/pack.pdf" in page
    assert "That the accounts are approved" in page
    assert (
        f"/meetings/{world.meeting.pk}/minutes.pdf"
        not in sign_in(Client(), world.outsider).get("/archive/").content.decode()
    )
    assert sign_in(Client(), world.member).get("/archive/?year=abc").status_code == 400
    assert sign_in(Client(), world.member).get(f"/archive/?board={world.other_board.pk}").status_code == 404


# --- the URL fetcher ---------------------------------------------------------------------------

HOSTILE = """<!doctype html><html><head>
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="https://example.com/evil.css">
<link rel="stylesheet" href="/static/css/minutes-print.css">
<link rel="stylesheet" href="/static/../../../../etc/passwd">
<style>@import url("file:///etc/passwd"); body { background: url("http://169.254.169.254/latest/meta-data/"); }</style>
</head><body>
<p>Visible words</p>
<img src="file:///etc/passwd"><img src="https://example.com/tracker.png">
<object data="file:///etc/passwd"></object><embed src="file:///etc/hostname">
<iframe src="file:///etc/passwd"></iframe>
<img src="data:image/png;base64,iVBORw0KGgo=">
</body></html>"""


def test_weasyprint_fetches_only_our_static_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """file://, the network, data: and paths climbing out of static embed nothing; our CSS loads."""
    import socket

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the renderer tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fetcher = pdf.make_fetcher()
    data = pdf.render_html(HOSTILE, fetcher=fetcher)
    assert fetcher.served == ["https://boardroom.invalid/static/css/minutes-print.css"]
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused and "example.com" in refused and "169.254" in refused
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
    assert "Visible words" in text and "root:" not in text
    with pikepdf.open(io.BytesIO(data)) as doc:
        for page in doc.pages:
            assert not page.get_images(), "an image was embedded"
        assert "/EmbeddedFiles" not in doc.Root.get("/Names", {})
    assert b"root:x:0:0" not in data


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://example.com/static/css/minutes-print.css",
        "https://boardroom.invalid/static/../settings.py",
        "https://boardroom.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://boardroom.invalid/static/css/minutes-print.css?x=1",
        "https://boardroom.invalid/etc/passwd",
        "http://boardroom.invalid/static/css/minutes-print.css",
        "data:text/css,body{}",
    ],
)
def test_static_path_refuses(url: str) -> None:
    assert pdf.static_path(url) is None


def test_static_path_finds_our_css() -> None:
    found = pdf.static_path("https://boardroom.invalid/static/css/minutes-print.css")
    assert found is not None and found.name == "minutes-print.css"


def test_no_minute_text_reaches_the_audit_log(world: BoardWorld) -> None:
    hold_meeting(world)
    minutes = services.minutes_start(actor=world.secretary, meeting=world.meeting)
    services.minute_save(
        actor=world.secretary,
        entry=entry_of(minutes, world.public_item),
        body="<p>Zanzibar confidential wording</p>",
        decisions="Resolved: Quixotic plan",
        base_version=1,
    )
    details = json.dumps(list(audit.AuditEvent.objects.values_list("detail", flat=True)))
    assert "Zanzibar" not in details and "Quixotic" not in details


def test_the_archive_counts_only_the_papers_the_reader_may_see(world: BoardWorld) -> None:
    hold_meeting(world)
    counts = {}
    for person in (world.member, world.observer):
        page = sign_in(Client(), person).get("/archive/").content.decode()
        found = re.search(rf"{re.escape(world.meeting.title)}</a>.*?(\d+) papers?", page, re.S)
        assert found, person.username
        counts[person.username] = int(found.group(1))
    assert counts == {"member": 2, "observer": 1}  # the observer does not count the Part B paper

"""Demo minutes: the trustees' two past meetings are held live (attendance, a declaration, votes)
and minuted. Meeting 46 is signed and archived; meeting 47's minutes were approved by written
resolution and wait for the chair's signature, so a new user can sign them and find the PDF in
the archive. Idempotent, like the rest of the demo seed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import AgendaItem, Meeting, Motion
from meetings.services import resolutions

from . import services
from .models import ApprovalRoute, MinuteItem, Minutes


@dataclass(frozen=True)
class MinutesPlan:
    apologies: list[str]
    declare: tuple[str, str, str]  # who, item title, the interest
    votes: dict[str, tuple[str, dict[str, str]]]  # item title: (motion, {voter: choice})
    minutes: dict[str, str]  # item title: minute HTML
    actions: list[tuple[str, str, str, int]]  # item title, what, who, due in days


# Per meeting title: who sent apologies, who declared an interest in which item, which items were
# voted on (with each voter's choice), the minute text per item title and actions.
PLANS: dict[str, MinutesPlan] = {
    "Trustees' meeting 46": MinutesPlan(
        apologies=["aisha"],
        declare=(
            "tom",
            "Fundraising strategy",
            "Trustee of a charity that would bid for the regular-giving contract",
        ),
        votes={
            "Annual report and financial statements": (
                "That the annual report and financial statements are approved and signed by the chair and treasurer",
                {"margaret": "For", "priya": "For", "tom": "For"},
            ),
            "Fundraising strategy": (
                "That the three-year fundraising strategy and a regular-giving officer post are approved",
                {"margaret": "For", "priya": "For"},
            ),
        },
        minutes={
            "Welcome and apologies": "<p>The chair welcomed trustees. Apologies were received from Aisha Rahman.</p>",
            "Annual report and financial statements": (
                "<p>The treasurer presented the <strong>annual report and audited accounts</strong>. Unrestricted "
                "reserves stand at five months of running costs, within the reserves policy.</p>"
            ),
            "Auditor's findings": (
                "<p>The auditors expect an unmodified opinion. Two medium-rated control points were raised: "
                "supplier bank-detail changes and leavers' system access.</p>"
            ),
            "Fundraising strategy": (
                "<p>Priya Shah introduced the strategy. Trustees welcomed the shift towards <em>regular giving</em> "
                "and asked for quarterly reporting on donor retention.</p>"
            ),
        },
        actions=[
            ("Auditor's findings", "Report progress on both audit control points", "david", 60),
            ("Fundraising strategy", "Recruit the regular-giving officer", "priya", 120),
        ],
    ),
    "Trustees' meeting 47": MinutesPlan(
        apologies=["priya"],
        declare=(
            "aisha",
            "Property acquisition — outline proposal",
            "Her partner is a director of the agent marketing 3 Mill Lane",
        ),
        votes={
            "Funding options": (
                "That the board launches a capital appeal for the refurbishment, with reserves as the fallback",
                {"margaret": "For", "tom": "For", "aisha": "For"},
            ),
            "Property acquisition — outline proposal": (
                "That the chief executive negotiates heads of terms for 3 Mill Lane up to the valuation",
                {"margaret": "For", "tom": "Against"},
            ),
        },
        minutes={
            "Welcome and apologies": "<p>The chair welcomed trustees. Apologies were received from Priya Shah.</p>",
            "Chief executive's report": (
                "<p>The chief executive reported strong demand at the food bank and a new partnership with the "
                "library service. Trustees asked for waiting-list figures next quarter.</p>"
            ),
            "Quarterly management accounts": (
                "<p>The treasurer explained the surplus: staff vacancies and a late legacy. Trustees noted that "
                "the legacy is one-off and should not support recurring costs.</p>"
            ),
            "Funding options": (
                "<p>Trustees compared reserves, a <strong>capital appeal</strong> and a loan. A loan was ruled out; "
                "the appeal keeps reserves intact.</p>"
            ),
        },
        actions=[
            ("Funding options", "Draft the capital appeal case for support", "david", 30),
            ("Chief executive's report", "Bring waiting-list figures for the food bank", "margaret", -14),
        ],
    ),
}


def during_meeting(meeting: Meeting, people: dict[str, User], chair: User, secretary: User) -> None:
    """While the demo meeting is live: attendance, the declaration and the votes."""
    plan = PLANS.get(meeting.title)
    if plan is None or Motion.objects.filter(item__meeting=meeting).exists():
        return
    apologies = set(plan.apologies)
    for username in ("margaret", "david", "priya", "tom", "aisha", "owen"):
        status = "apologies" if username in apologies else "present"
        meeting_services.attendance_mark(actor=secretary, meeting=meeting, user=people[username], status=status)
    who, title, nature = plan.declare
    item = AgendaItem.objects.get(meeting=meeting, title=title)
    meeting_services.declaration_record(actor=secretary, item=item, user=people[who], nature=nature)
    for title, (text, ballots) in plan.votes.items():
        item = AgendaItem.objects.get(meeting=meeting, title=title)
        motion = meeting_services.motion_open(actor=chair, item=item, text=text)
        for username, choice in ballots.items():
            meeting_services.vote_cast(actor=people[username], motion=motion, choice=choice)
        meeting_services.motion_close(actor=chair, motion=motion)


def seed(people: dict[str, User], chair: User, secretary: User) -> None:
    """Minute the trustees' past meetings (after every demo meeting exists)."""
    held = {m.title: m for m in Meeting.objects.filter(title__in=list(PLANS))}
    if len(held) != len(PLANS) or Minutes.objects.filter(meeting__in=held.values()).exists():
        return
    first, second = held["Trustees' meeting 46"], held["Trustees' meeting 47"]
    with transaction.atomic():
        for meeting in (first, second):
            _write(meeting, people, secretary)
    # 46 was approved at 47 and signed; its meeting is already recorded as minuted.
    minutes = Minutes.objects.get(meeting=first)
    services.minutes_circulate(actor=secretary, minutes=minutes)
    minutes_item = AgendaItem.objects.filter(meeting=second, title__startswith="Minutes").first()
    if minutes_item is not None:
        route = services.approval_route_item(actor=secretary, minutes=minutes, item=minutes_item)
    else:
        route = services.approval_route_item(actor=secretary, minutes=minutes, meeting=second)
    services.minutes_approve(actor=secretary, minutes=minutes, route=route)
    services.minutes_sign(actor=chair, minutes=minutes)
    # 47 was approved by written resolution between meetings: the chair has yet to sign.
    minutes = Minutes.objects.get(meeting=second)
    services.minutes_circulate(actor=secretary, minutes=minutes)
    services.minutes_approve(actor=secretary, minutes=minutes, route=_approval(minutes, people, secretary))


def _write(meeting: Meeting, people: dict[str, User], secretary: User) -> None:
    plan = PLANS[meeting.title]
    minutes = services.minutes_start(actor=secretary, meeting=meeting)
    for title, body in plan.minutes.items():
        entry = MinuteItem.objects.get(minutes=minutes, item__title=title)
        services.minute_save(actor=secretary, entry=entry, body=body, base_version=entry.version)
    today = timezone.localdate()
    for title, description, owner, days in plan.actions:
        entry = MinuteItem.objects.get(minutes=minutes, item__title=title)
        services.action_add(
            actor=secretary,
            entry=entry,
            description=description,
            owner=people[owner],
            due=today + dt.timedelta(days=days),
        )


def _approval(minutes: Minutes, people: dict[str, User], secretary: User) -> ApprovalRoute:
    """The written resolution drafted from the minutes page, circulated and passed."""
    route = services.approval_route_resolution(
        actor=secretary, minutes=minutes, deadline=timezone.now() + dt.timedelta(days=3)
    )
    assert route.resolution is not None
    circulated = resolutions.resolution_circulate(actor=secretary, resolution=route.resolution)
    for username in ("margaret", "priya", "tom", "aisha"):
        circulated.refresh_from_db()
        if circulated.status != "circulated":
            break
        resolutions.resolution_vote(actor=people[username], resolution=circulated, choice="For")
    return route

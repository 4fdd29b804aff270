"""A demo organisation for ``manage.py seed_demo``: Riverside Community Trust.

Two boards, eight people, four meetings with realistic agendas and generated papers. Every
write goes through the services (users excepted: there is no user service), so the demo
behaves exactly as data entered through the app would. Seeding is idempotent: people are
found by username, boards by slug, meetings by (board, title), items by (meeting, title) and
papers by (item, title); a paper that already has a version is not generated again.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone

from documents import demo as demo_pdf
from documents import services as document_services
from documents.models import Paper

from . import services
from .models import AgendaItem, Board, Meeting, MeetingStatus, Membership, Notice, Purpose, Role

# The documented demo password (bandit B105).
PASSWORD = "boardroom-demo"  # nosec B105
ORGANISATION = "Riverside Community Trust"
EMAIL_DOMAIN = "riverside-trust.example"
URL = "http://127.0.0.1:8000/"

TRUSTEES = "trustees"
FINANCE = "finance-audit"

DECISION, DISCUSSION, INFORMATION = Purpose.DECISION, Purpose.DISCUSSION, Purpose.INFORMATION

# People from outside who present without an account.
CEO = "Helen Marsh, Chief Executive"
AUDITOR = "Karen Liu, Baxter Hill LLP (external auditors)"
SAFEGUARDING_LEAD = "Dr Nia Evans, Safeguarding Lead"
PROPERTY_ADVISER = "James Hale, Hale & Partners (property advisers)"
FUND_MANAGER = "Rachel Ng, Greyfriars Investment Management"


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    admin: bool = False  # staff + superuser: sets up boards, sees no board content

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Seat:
    username: str
    board: str  # slug
    role: str
    title: str = ""
    years: int = 3  # how long ago the term began


@dataclass(frozen=True)
class PaperPlan:
    title: str
    pages: int
    summary: str
    figures: str = "kpi"
    recommendations: Sequence[str] = ()
    author: str = ""  # defaults to the item's presenter


@dataclass(frozen=True)
class ItemPlan:
    title: str
    purpose: str = INFORMATION
    presenter: str = ""  # username
    presenter_name: str = ""  # someone without an account
    minutes: int = 5
    confidential: bool = False
    description: str = ""
    papers: Sequence[PaperPlan] = ()
    children: Sequence[ItemPlan] = ()


@dataclass(frozen=True)
class MeetingPlan:
    board: str  # slug
    number: int
    days_from_today: int
    status: str
    items: Sequence[ItemPlan]
    start: dt.time = dt.time(18, 0)
    hours: float = 2.5
    location: str = "The Riverside Centre, 14 Wharf Street — Community Room"
    video_url: str = ""

    @property
    def title(self) -> str:
        return f"Trustees' meeting {self.number}" if self.board == TRUSTEES else f"Committee meeting {self.number}"

    @property
    def reference_prefix(self) -> str:
        return f"{'TR' if self.board == TRUSTEES else 'FA'}{self.number}"


PEOPLE = (
    Person("margaret", "Margaret", "Okafor"),
    Person("david", "David", "Chen"),
    Person("priya", "Priya", "Shah"),
    Person("tom", "Tom", "Whitfield"),
    Person("aisha", "Aisha", "Rahman"),
    Person("owen", "Owen", "Price"),
    Person("sam", "Samuel", "Reid"),
    Person("admin", "Site", "Administrator", admin=True),
)

BOARDS = (
    (
        TRUSTEES,
        "Board of Trustees",
        "The charity's governing body: sets strategy, approves the budget and accounts, and holds the chief "
        "executive to account.",
    ),
    (
        FINANCE,
        "Finance & Audit Committee",
        "Scrutinises the accounts, budget, audit, investments and internal controls, and reports to the trustees.",
    ),
)

SEATS = (
    Seat("margaret", TRUSTEES, Role.CHAIR, "Chair of trustees", years=6),
    Seat("david", TRUSTEES, Role.SECRETARY, "Company secretary", years=4),
    Seat("priya", TRUSTEES, Role.MEMBER, "Trustee", years=3),
    Seat("tom", TRUSTEES, Role.MEMBER, "Treasurer", years=5),
    Seat("aisha", TRUSTEES, Role.MEMBER, "Trustee", years=2),
    Seat("owen", TRUSTEES, Role.OBSERVER, "Head of Operations (staff observer)", years=2),
    # A committee needs someone to chair it: a trustee with finance experience.
    Seat("priya", FINANCE, Role.CHAIR, "Committee chair", years=3),
    Seat("david", FINANCE, Role.SECRETARY, "Company secretary", years=4),
    Seat("tom", FINANCE, Role.MEMBER, "Treasurer", years=5),
    Seat("sam", FINANCE, Role.MEMBER, "Co-opted independent member", years=1),
)


def _opening(chair: str, last_meeting: str, minutes_pages: int = 3, action_log: bool = True) -> list[ItemPlan]:
    """The standing items every meeting opens with."""
    return [
        ItemPlan("Welcome and apologies", presenter=chair, minutes=5),
        ItemPlan(
            "Declarations of interest",
            presenter=chair,
            minutes=5,
            description="Members declare any interest in items on this agenda; declared conflicts are minuted.",
        ),
        ItemPlan(
            "Minutes of the last meeting",
            DECISION,
            presenter="david",
            minutes=5,
            papers=[
                PaperPlan(
                    f"Draft minutes of {last_meeting}",
                    minutes_pages,
                    f"The draft minutes of {last_meeting}, circulated to members for comment.",
                    figures="actions",
                    recommendations=["Approve the minutes as a correct record and authorise the chair to sign them."],
                )
            ],
        ),
        ItemPlan(
            "Matters arising and action log",
            presenter="david",
            minutes=10,
            papers=[
                PaperPlan(
                    "Action log",
                    2,
                    "Progress on every open action from previous meetings. Completed actions are shown once and "
                    "then removed.",
                    figures="actions",
                    recommendations=["Note progress and agree to close the completed actions."],
                )
            ]
            if action_log
            else [],
        ),
    ]


def _closing(chair: str) -> list[ItemPlan]:
    return [
        ItemPlan("Any other business", presenter=chair, minutes=5, description="Notified to the chair in advance."),
        ItemPlan("Date of next meeting", presenter=chair, minutes=2),
    ]


MEETINGS = (
    MeetingPlan(
        TRUSTEES,
        46,
        -182,
        MeetingStatus.MINUTED,
        [
            *_opening("margaret", "meeting 45"),
            ItemPlan(
                "Annual report and accounts",
                DECISION,
                presenter="tom",
                children=[
                    ItemPlan(
                        "Annual report and financial statements",
                        DECISION,
                        presenter="tom",
                        minutes=20,
                        papers=[
                            PaperPlan(
                                "Annual report and financial statements",
                                8,
                                "The trustees' annual report and audited financial statements for the year, "
                                "recommended for approval by the Finance & Audit Committee.",
                                figures="finance",
                                recommendations=[
                                    "Approve the annual report and financial statements.",
                                    "Authorise the chair and treasurer to sign them on the board's behalf.",
                                ],
                            )
                        ],
                    ),
                    ItemPlan(
                        "Auditor's findings",
                        DISCUSSION,
                        presenter_name=AUDITOR,
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Audit findings report",
                                4,
                                "The external auditors expect to give an unmodified opinion. Two control "
                                "recommendations are raised, both rated medium.",
                                figures="risk",
                                recommendations=["Note the report and management's responses."],
                            )
                        ],
                    ),
                ],
            ),
            ItemPlan(
                "Safeguarding annual report",
                DISCUSSION,
                presenter_name=SAFEGUARDING_LEAD,
                minutes=15,
                papers=[
                    PaperPlan(
                        "Safeguarding annual report",
                        5,
                        "Concerns raised, referrals made and training completed in the year, with the lessons "
                        "learned from one serious case review.",
                        recommendations=["Note the report.", "Approve the revised safeguarding policy."],
                    )
                ],
            ),
            ItemPlan(
                "Fundraising strategy",
                DECISION,
                presenter="priya",
                minutes=20,
                papers=[
                    PaperPlan(
                        "Fundraising strategy",
                        6,
                        "A three-year strategy to grow voluntary income by a quarter, shifting effort from events "
                        "towards regular giving and trusts.",
                        recommendations=["Approve the strategy and the investment in a regular-giving officer."],
                    )
                ],
            ),
            *_closing("margaret"),
            ItemPlan(
                "Staff restructure — consultation outcome",
                DECISION,
                presenter_name=CEO,
                minutes=20,
                confidential=True,
                description="Part B: concerns named employees. Staff observers leave the meeting.",
                papers=[
                    PaperPlan(
                        "Staff restructure — consultation outcome",
                        3,
                        "The outcome of the 45-day consultation on the services restructure, with the costs of "
                        "redundancy and redeployment.",
                        figures="finance",
                        recommendations=["Approve the final structure.", "Approve the redundancy provision."],
                    )
                ],
            ),
        ],
    ),
    MeetingPlan(
        TRUSTEES,
        47,
        -91,
        MeetingStatus.CLOSED,
        [
            *_opening("margaret", "meeting 46"),
            ItemPlan(
                "Chief executive's report",
                DISCUSSION,
                presenter_name=CEO,
                minutes=20,
                papers=[
                    PaperPlan(
                        "Chief executive's report",
                        5,
                        "Operational highlights for the quarter, performance against the business plan, and the "
                        "issues the chief executive wants the board's view on.",
                        recommendations=["Note the report."],
                    )
                ],
            ),
            ItemPlan(
                "Quarterly management accounts",
                DISCUSSION,
                presenter="tom",
                minutes=15,
                papers=[
                    PaperPlan(
                        "Management accounts, quarter two",
                        4,
                        "A surplus of £109k against a budgeted £10k, mainly from staff vacancies and a late legacy.",
                        figures="finance",
                        recommendations=["Note the management accounts."],
                    )
                ],
            ),
            ItemPlan(
                "Community centre refurbishment",
                DISCUSSION,
                presenter="owen",
                children=[
                    ItemPlan(
                        "Condition survey findings",
                        DISCUSSION,
                        presenter="owen",
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Condition survey summary",
                                3,
                                "The roof and heating system need replacing within two years; the rest of the "
                                "building is sound.",
                                figures="risk",
                            )
                        ],
                    ),
                    ItemPlan(
                        "Funding options",
                        DECISION,
                        presenter="tom",
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Refurbishment funding options",
                                3,
                                "Three ways to fund the £640k works: reserves, a capital appeal, or a "
                                "community-shares issue with a lottery bid.",
                                figures="finance",
                                recommendations=["Agree the preferred option for development."],
                            )
                        ],
                    ),
                ],
            ),
            ItemPlan("Data protection and cyber security update", presenter="owen", minutes=10),
            *_closing("margaret"),
            ItemPlan(
                "Property acquisition — outline proposal",
                DISCUSSION,
                presenter="margaret",
                minutes=20,
                confidential=True,
                description="Part B: commercially sensitive.",
                papers=[
                    PaperPlan(
                        "Property acquisition — outline proposal",
                        3,
                        "An opportunity to buy the vacant unit at 3 Mill Lane as a second community hub.",
                        figures="finance",
                        recommendations=["Authorise officers to obtain a valuation and negotiate heads of terms."],
                    )
                ],
            ),
        ],
    ),
    MeetingPlan(
        TRUSTEES,
        48,
        10,
        MeetingStatus.PUBLISHED,
        [
            *_opening("margaret", "meeting 47", minutes_pages=4),
            ItemPlan(
                "Chief executive's report",
                DISCUSSION,
                presenter_name=CEO,
                minutes=20,
                papers=[
                    PaperPlan(
                        "Chief executive's report",
                        6,
                        "A strong quarter for services, with demand for advice up 18%; recruitment to the two "
                        "advice posts is the main operational pressure.",
                        recommendations=["Note the report.", "Comment on the proposed service priorities."],
                    )
                ],
            ),
            ItemPlan(
                "Finance",
                DISCUSSION,
                presenter="tom",
                children=[
                    ItemPlan(
                        "Management accounts",
                        DISCUSSION,
                        presenter="tom",
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Management accounts, quarter three",
                                5,
                                "A year-to-date surplus ahead of budget; the full-year forecast remains a small "
                                "surplus after the planned investment in fundraising.",
                                figures="finance",
                                recommendations=["Note the management accounts and the full-year forecast."],
                            ),
                            PaperPlan(
                                "Cash flow forecast (13 weeks)",
                                2,
                                "Cash stays above the £250k minimum throughout the period.",
                                figures="finance",
                            ),
                        ],
                    ),
                    ItemPlan(
                        "Report of the Finance & Audit Committee",
                        INFORMATION,
                        presenter="priya",
                        minutes=10,
                        papers=[
                            PaperPlan(
                                "Finance & Audit Committee report",
                                3,
                                "The committee's review of the accounts, the audit plan, investment performance "
                                "and internal controls.",
                                figures="finance",
                                recommendations=["Note the report."],
                            )
                        ],
                    ),
                    ItemPlan(
                        "Draft budget for next year",
                        DECISION,
                        presenter="tom",
                        minutes=20,
                        papers=[
                            PaperPlan(
                                "Draft budget and financial plan",
                                7,
                                "A balanced budget of £2.7m with a planned £60k investment in regular giving, "
                                "recommended by the Finance & Audit Committee.",
                                figures="finance",
                                recommendations=[
                                    "Approve the budget for next year.",
                                    "Note the financial plan for the two years after.",
                                ],
                            ),
                            PaperPlan(
                                "Budget assumptions",
                                2,
                                "Pay award 4%, energy prices fixed until autumn, contract income flat in cash terms.",
                            ),
                        ],
                    ),
                ],
            ),
            ItemPlan(
                "Strategic risk register",
                DISCUSSION,
                presenter="aisha",
                minutes=15,
                papers=[
                    PaperPlan(
                        "Strategic risk register",
                        4,
                        "Seven strategic risks after mitigation; the cyber risk has risen and the contract-income "
                        "risk is now rated red.",
                        figures="risk",
                        recommendations=["Agree the risk ratings and the actions for the two red risks."],
                    )
                ],
            ),
            ItemPlan(
                "Governance",
                DECISION,
                presenter="david",
                children=[
                    ItemPlan(
                        "Trustee recruitment and skills audit",
                        DECISION,
                        presenter="aisha",
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Skills audit and recruitment plan",
                                3,
                                "The skills audit shows gaps in digital, legal and lived experience; two "
                                "trustees retire at the AGM.",
                                recommendations=["Approve the recruitment plan and role descriptions."],
                            )
                        ],
                    ),
                    ItemPlan(
                        "Review of the scheme of delegation",
                        DECISION,
                        presenter="david",
                        minutes=10,
                        papers=[
                            PaperPlan(
                                "Scheme of delegation (tracked changes)",
                                8,
                                "The scheme updated for the new structure, with higher spending limits for the "
                                "chief executive and a new contracts approval route.",
                                figures="actions",
                                recommendations=["Approve the revised scheme of delegation."],
                            )
                        ],
                    ),
                ],
            ),
            *_closing("margaret"),
            ItemPlan(
                "Chief executive's remuneration",
                DECISION,
                presenter="margaret",
                minutes=15,
                confidential=True,
                description="Part B: personal information. The chief executive and staff observers leave the meeting.",
                papers=[
                    PaperPlan(
                        "Remuneration recommendation",
                        3,
                        "The chair's recommendation on the chief executive's pay, benchmarked against comparable "
                        "charities.",
                        figures="finance",
                        recommendations=["Approve the recommended salary from 1 April."],
                    )
                ],
            ),
            ItemPlan(
                "Property acquisition — commercial terms",
                DECISION,
                presenter_name=PROPERTY_ADVISER,
                minutes=25,
                confidential=True,
                description="Part B: commercially sensitive until contracts are exchanged.",
                papers=[
                    PaperPlan(
                        "Heads of terms — 3 Mill Lane",
                        4,
                        "Agreed heads of terms for the purchase of 3 Mill Lane at £385k, subject to survey and "
                        "planning for change of use.",
                        figures="finance",
                        recommendations=[
                            "Approve the purchase on the terms set out.",
                            "Delegate exchange to the chair.",
                        ],
                    ),
                    PaperPlan(
                        "Independent valuation summary",
                        2,
                        "The independent valuer puts market value at £370k–£395k.",
                        figures="finance",
                    ),
                ],
            ),
        ],
        video_url="https://video.riverside-trust.example/trustees",
    ),
    MeetingPlan(
        FINANCE,
        21,
        6,
        MeetingStatus.PUBLISHED,
        [
            *_opening("priya", "committee meeting 20", minutes_pages=2, action_log=False),
            ItemPlan(
                "Management accounts and cash position",
                DISCUSSION,
                presenter="tom",
                minutes=20,
                papers=[
                    PaperPlan(
                        "Management accounts and cash position",
                        5,
                        "Income and expenditure to the end of the quarter, with the cash position and the "
                        "full-year forecast.",
                        figures="finance",
                        recommendations=["Recommend the management accounts to the trustees."],
                    )
                ],
            ),
            ItemPlan(
                "External audit plan",
                DISCUSSION,
                presenter_name=AUDITOR,
                minutes=15,
                papers=[
                    PaperPlan(
                        "External audit plan",
                        4,
                        "The auditors' plan for the year-end audit: scope, significant risks, timetable and fee.",
                        figures="risk",
                        recommendations=["Approve the audit plan and fee."],
                    )
                ],
            ),
            ItemPlan(
                "Investment performance",
                INFORMATION,
                presenter_name=FUND_MANAGER,
                minutes=15,
                papers=[
                    PaperPlan(
                        "Investment performance report",
                        3,
                        "The portfolio returned 5.1% against a benchmark of 4.6%, within the ethical investment "
                        "policy.",
                        figures="finance",
                    )
                ],
            ),
            ItemPlan(
                "Internal controls",
                DISCUSSION,
                presenter="sam",
                children=[
                    ItemPlan(
                        "Review of financial controls",
                        DISCUSSION,
                        presenter="sam",
                        minutes=15,
                        papers=[
                            PaperPlan(
                                "Review of financial controls",
                                3,
                                "Controls over payments, payroll and income are working; purchase-card "
                                "approvals need tightening.",
                                figures="actions",
                                recommendations=["Agree the management actions and deadlines."],
                            )
                        ],
                    ),
                    ItemPlan(
                        "Fraud risk assessment",
                        DISCUSSION,
                        presenter="sam",
                        minutes=10,
                        papers=[
                            PaperPlan(
                                "Fraud risk assessment",
                                2,
                                "Mandate fraud and payment diversion remain the highest fraud risks for the charity.",
                                figures="risk",
                            )
                        ],
                    ),
                ],
            ),
            ItemPlan(
                "Draft budget for next year",
                DECISION,
                presenter="tom",
                minutes=20,
                papers=[
                    PaperPlan(
                        "Draft budget for recommendation to the trustees",
                        5,
                        "The draft budget for scrutiny before it goes to the trustees for approval.",
                        figures="finance",
                        recommendations=["Recommend the draft budget to the Board of Trustees."],
                    )
                ],
            ),
            *_closing("priya"),
            ItemPlan(
                "Attempted bank mandate fraud — review",
                DISCUSSION,
                presenter="david",
                minutes=15,
                confidential=True,
                description="Part B: an open police investigation.",
                papers=[
                    PaperPlan(
                        "Attempted bank mandate fraud — incident review",
                        2,
                        "A supplier's bank details were nearly changed by email; the call-back control stopped the "
                        "payment. Lessons and actions.",
                        figures="risk",
                    )
                ],
            ),
        ],
        start=dt.time(17, 30),
        hours=2,
        location="The Riverside Centre, 14 Wharf Street — Board Room",
        video_url="https://video.riverside-trust.example/finance-audit",
    ),
)

STATUS_ORDER = [
    MeetingStatus.DRAFT,
    MeetingStatus.PUBLISHED,
    MeetingStatus.LIVE,
    MeetingStatus.CLOSED,
    MeetingStatus.MINUTED,
]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # username, name, roles

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def seed(*, papers: str = "all", log: Callable[[str], None] = lambda line: None) -> SeedReport:
    """Create (or complete) the demo organisation. ``papers="few"`` makes two papers a meeting."""
    if papers not in ("all", "few"):
        raise ValueError("papers is 'all' or 'few'")
    report = SeedReport()
    people = _people(report)
    admin = people["admin"]
    boards = _boards(admin, report)
    _seats(admin, people, boards, report)
    for plan in MEETINGS:
        meeting = _meeting(plan, boards[plan.board], people, report, paper_limit=2 if papers == "few" else None)
        log(f"  {boards[plan.board].name}: {meeting.title} ({meeting.get_status_display().lower()})")
    _resolution(boards[TRUSTEES], people, report)
    from minutes import demo as minutes_demo

    minutes_demo.seed(people, *_chair_and_secretary(boards[TRUSTEES], people))
    # The past meetings happened before anyone signs in: their notices were long since read.
    now = timezone.now()
    Notice.objects.filter(meeting__starts_at__lt=now, read_at__isnull=True).update(read_at=now, emailed_at=now)
    report.rows = _logins(people)
    return report


RESOLUTION_TITLE = "Renewal of the Wharf Street lease"
RESOLUTION_TEXT = (
    "That the Trust renews the lease of the Riverside Centre, 14 Wharf Street, for five years from 1 April "
    "at an annual rent of £38,500, on the terms set out in the explanatory note, and authorises the Chair and "
    "the Treasurer to sign the lease on the Trust's behalf."
)
RESOLUTION_NOTE = (
    "The landlord needs an answer before the next trustees' meeting. The rent is 4 % above the current "
    "rent and below the two comparable offers our property advisers found.\n\n"
    "There is a tenant's break at year three and the landlord repairs the roof before the start date."
)


def _resolution(board: Board, people: dict[str, User], report: SeedReport) -> None:
    """One written resolution out for votes between meetings, with the treasurer's vote already in."""
    from .models import Resolution
    from .services import resolutions

    if Resolution.objects.filter(board=board, title=RESOLUTION_TITLE).exists():
        return
    _, secretary = _chair_and_secretary(board, people)
    zone = zoneinfo.ZoneInfo(board.time_zone)
    deadline = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=5), dt.time(17, 0), tzinfo=zone)
    drafted = resolutions.resolution_draft(
        actor=secretary,
        board=board,
        title=RESOLUTION_TITLE,
        text=RESOLUTION_TEXT,
        background=RESOLUTION_NOTE,
        deadline=deadline,
    )
    circulated = resolutions.resolution_circulate(actor=secretary, resolution=drafted)
    resolutions.resolution_vote(actor=people["tom"], resolution=circulated, choice="For")
    report.count("resolutions")


def _people(report: SeedReport) -> dict[str, User]:
    # One hash for everyone: the demo password is public, and hashing is the slow part.
    hashed = make_password(PASSWORD)
    people: dict[str, User] = {}
    for person in PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = User.objects.create(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@{EMAIL_DOMAIN}",
                password=hashed,
                is_staff=person.admin,
                is_superuser=person.admin,
            )
            report.count("users")
        people[person.username] = user
    return people


def _boards(admin: User, report: SeedReport) -> dict[str, Board]:
    boards: dict[str, Board] = {}
    for slug, name, description in BOARDS:
        board = Board.objects.filter(slug=slug).first()
        if board is None:
            board = services.board_create(
                actor=admin, name=name, slug=slug, organisation=ORGANISATION, description=description
            )
            report.count("boards")
        boards[slug] = board
    return boards


def _seats(admin: User, people: dict[str, User], boards: dict[str, Board], report: SeedReport) -> None:
    today = timezone.localdate()
    for seat in SEATS:
        user, board = people[seat.username], boards[seat.board]
        if Membership.objects.filter(user=user, board=board).exists():
            continue
        services.membership_create(
            actor=admin,
            board=board,
            user=user,
            role=seat.role,
            title=seat.title,
            valid_from=today.replace(year=today.year - seat.years, day=1),
        )
        report.count("memberships")


def _chair_and_secretary(board: Board, people: dict[str, User]) -> tuple[User, User]:
    chair = next(s.username for s in SEATS if s.board == board.slug and s.role == Role.CHAIR)
    secretary = next(s.username for s in SEATS if s.board == board.slug and s.role == Role.SECRETARY)
    return people[chair], people[secretary]


def _meeting(
    plan: MeetingPlan, board: Board, people: dict[str, User], report: SeedReport, paper_limit: int | None
) -> Meeting:
    chair, secretary = _chair_and_secretary(board, people)
    meeting = Meeting.objects.filter(board=board, title=plan.title).first()
    if meeting is None:
        day = timezone.localdate() + dt.timedelta(days=plan.days_from_today)
        starts_at = timezone.make_aware(dt.datetime.combine(day, plan.start))
        meeting = services.meeting_create(
            actor=secretary,
            board=board,
            title=plan.title,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=plan.hours),
            location=plan.location,
            video_url=plan.video_url,
        )
        report.count("meetings")
    budget = [paper_limit if paper_limit is not None else 10_000]
    for item_plan in plan.items:
        _item(item_plan, meeting, None, plan, board, people, secretary, report, budget)
    # Walk the status forward as the people who would do it: the chair starts and closes a
    # meeting, the secretary publishes it and records it as minuted.
    while STATUS_ORDER.index(MeetingStatus(meeting.status)) < STATUS_ORDER.index(MeetingStatus(plan.status)):
        step = services.STATUS_FLOW[MeetingStatus(meeting.status)]
        actor = chair if step in (MeetingStatus.LIVE, MeetingStatus.CLOSED) else secretary
        meeting = services.meeting_advance(actor=actor, meeting=meeting, to=step)
        if step == MeetingStatus.LIVE:
            from minutes import demo as minutes_demo

            minutes_demo.during_meeting(meeting, people, chair, secretary)
    return meeting


def _item(
    plan: ItemPlan,
    meeting: Meeting,
    parent: AgendaItem | None,
    meeting_plan: MeetingPlan,
    board: Board,
    people: dict[str, User],
    secretary: User,
    report: SeedReport,
    budget: list[int],
) -> None:
    item = AgendaItem.objects.filter(meeting=meeting, title=plan.title).first()
    if item is None:
        item = services.agenda_item_add(
            actor=secretary,
            meeting=meeting,
            parent=parent,
            title=plan.title,
            purpose=plan.purpose,
            description=plan.description,
            presenter=people[plan.presenter] if plan.presenter else None,
            presenter_name=plan.presenter_name,
            # A heading over sub-items carries no time of its own.
            duration_minutes=0 if plan.children else plan.minutes,
            confidential=plan.confidential,
        )
        report.count("agenda items")
    for paper_plan in plan.papers:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        _paper(paper_plan, item, meeting, meeting_plan, board, secretary, report)
    for child in plan.children:
        _item(child, meeting, item, meeting_plan, board, people, secretary, report, budget)


def _paper(
    plan: PaperPlan,
    item: AgendaItem,
    meeting: Meeting,
    meeting_plan: MeetingPlan,
    board: Board,
    secretary: User,
    report: SeedReport,
) -> None:
    paper = Paper.objects.filter(item=item, title=plan.title).first()
    if paper is None:
        paper = document_services.paper_create(actor=secretary, item=item, title=plan.title)
        report.count("papers")
    if paper.versions.exists():
        return
    author = plan.author or _author(item, board)
    when = timezone.localtime(meeting.starts_at)
    spec = demo_pdf.PaperSpec(
        title=plan.title,
        author=author,
        purpose=item.get_purpose_display(),
        organisation=ORGANISATION,
        meeting=f"{board.name} — {meeting.title}",
        date=f"{when:%A} {when.day} {when:%B %Y}, {when:%H:%M}",
        reference=f"{meeting_plan.reference_prefix}/{item.number}",
        summary=plan.summary,
        recommendations=plan.recommendations,
        figures=plan.figures,
        pages=plan.pages,
        confidential=item.confidential,
    )
    data = demo_pdf.render_paper(spec)
    document_services.paper_version_add(
        actor=secretary, paper=paper, data=data, original_name=f"{plan.title}.pdf", note="First issue"
    )
    report.count("paper versions")


def _author(item: AgendaItem, board: Board) -> str:
    """The name a paper carries: its presenter with their title on this board, or the secretary."""
    if item.presenter is not None:
        name = item.presenter.get_full_name()
        title = next((s.title for s in SEATS if s.username == item.presenter.username and s.board == board.slug), "")
        return f"{name}, {title}" if title and title != "Trustee" else name
    return item.presenter_name or "David Chen, Company secretary"


def _role_label(seat: Seat) -> str:
    label = str(Role(seat.role).label)
    if not seat.title:
        return label
    return seat.title if label.lower() in seat.title.lower() else f"{label} ({seat.title})"


def _logins(people: dict[str, User]) -> list[tuple[str, str, str]]:
    boards = {slug: name for slug, name, _ in BOARDS}
    rows = []
    for person in PEOPLE:
        seats = [s for s in SEATS if s.username == person.username]
        if person.admin:
            roles = "Site administrator (staff, superuser) — no board"
        else:
            roles = "; ".join(f"{_role_label(s)}, {boards[s.board]}" for s in seats)
        rows.append((person.username, people[person.username].get_full_name(), roles))
    return rows

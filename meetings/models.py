"""Boards, memberships, meetings and their agendas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class PackAdditions(models.TextChoices):
    """How a paper added after publishing enters the board pack."""

    SUPPLEMENT = "supplement", "Supplement: earlier page numbers stay, new pages are numbered 12a, 12b…"
    REISSUE = "reissue", "Reissue: the pack is renumbered from the start"


class PublicPartB(models.TextChoices):
    """How Part B (confidential) items appear on a board's public site. Their papers never do."""

    TITLE = "title", "Show the item's title, marked “exempt — not for publication”"
    HIDDEN = "hidden", "Leave Part B items out of the public agenda entirely"


class Board(models.Model):
    """A board or committee: the unit that owns meetings and grants access."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    organisation = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    require_two_factor = models.BooleanField(
        default=False, help_text="Every member must sign in with a second factor (chairs and secretaries always do)"
    )
    idle_minutes = models.PositiveIntegerField(
        default=30, help_text="Members are signed out after this many minutes without activity"
    )
    standing_items = models.JSONField(
        default=list,
        blank=True,
        help_text='Items every agenda starts with: a list of {"title", "purpose", "minutes"}; empty for the usual set',
    )
    quorum_members = models.PositiveIntegerField(
        default=0, help_text="Voting members needed for a quorum; 0 to use the fraction instead"
    )
    quorum_fraction = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        help_text="Share of voting members needed (rounded up) when no fixed number is set",
    )
    pack_watermark = models.BooleanField(
        default=False, help_text="Each reader's board pack carries their name, organisation and the time on every page"
    )
    pack_additions = models.CharField(
        max_length=12,
        choices=PackAdditions.choices,
        default=PackAdditions.SUPPLEMENT,
        help_text="What happens to page numbers when a paper arrives after the pack was published",
    )
    # The public site (the ``public`` app): off for a new board; boards that work in the open opt in.
    public_site = models.BooleanField(
        default=False,
        help_text="Publish meetings, the public agenda, public papers and decisions on a public site (no sign-in)",
    )
    public_part_b = models.CharField(
        max_length=8,
        choices=PublicPartB.choices,
        default=PublicPartB.TITLE,
        verbose_name="Part B items on the public site",
        help_text="Part B papers are never published, whichever you choose",
    )
    public_questions = models.BooleanField(
        default=True,
        help_text="Citizens may send questions and suggestions on public items before a meeting (you moderate them)",
    )
    paper_saved_public = models.BooleanField(
        default=False, help_text="Show the paper, printing and postage saved on the public site"
    )
    paper_cost_per_sheet = models.DecimalField(
        max_digits=7, decimal_places=3, default=Decimal("0.010"), help_text="Cost of one A4 sheet of paper"
    )
    print_cost_per_page = models.DecimalField(
        max_digits=7, decimal_places=3, default=Decimal("0.040"), help_text="Cost of printing one page (toner, machine)"
    )
    postage_per_pack = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal("2.50"), help_text="Cost of posting one member's papers"
    )
    print_double_sided = models.BooleanField(default=True, help_text="Printed packs would be double-sided")
    currency_symbol = models.CharField(max_length=3, default="£")
    # The board's standing orders: on an equality of votes the chair has a second, casting vote.
    chair_casting_vote = models.BooleanField(
        default=False,
        verbose_name="Chair's casting vote",
        help_text="On a tied vote the chair decides with a second, casting vote (as the board's rules allow)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_confidential", "Can see Part B (confidential) items and papers"),
            ("manage_board", "Can build agendas, upload papers and publish meetings"),
            ("chair_board", "Can chair meetings"),
            ("participate", "Can comment, vote and declare interests"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("board", args=[self.pk])


class BoardUserObjectPermission(UserObjectPermissionBase):
    """Guardian grants on a board to one user (direct foreign key, so grant lookups join)."""

    content_object = models.ForeignKey(Board, on_delete=models.CASCADE)


class BoardGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Board, on_delete=models.CASCADE)


class Role(models.TextChoices):
    CHAIR = "chair", "Chair"
    SECRETARY = "secretary", "Secretary"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: dt.date | None = None) -> MembershipQuerySet:
        """Memberships in force on a day (today by default, in the project's time zone)."""
        day = on or timezone.localdate()
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day)


class Membership(models.Model):
    """A person's seat on a board for a period. Access lasts only while it is in force."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(max_length=120, blank=True, help_text="e.g. Treasurer, Vice-chair")
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True, help_text="Last day of the term; empty if open-ended")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["board", "role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "board", "valid_from"], name="membership_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="membership_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_from", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.board}"

    def in_force(self, on: dt.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.valid_from <= day and (self.valid_until is None or self.valid_until >= day)


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    LIVE = "live", "In progress"
    CLOSED = "closed", "Closed"
    MINUTED = "minuted", "Minuted"


class Meeting(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    video_url = models.URLField(blank=True, max_length=500)
    status = models.CharField(max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    # The last live event number handed out; bumped inside each writing transaction (see events.py).
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # iCalendar SEQUENCE: raised whenever the title, time, place or video link changes, so calendar
    # apps that hold the meeting replace their copy.
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    current_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # When the current item became current: the item timer runs from here.
    current_since = models.DateTimeField(null=True, blank=True, editable=False)
    # A live meeting the chair has adjourned for a while (it stays live; votes wait for the resumption).
    adjourned_at = models.DateTimeField(null=True, blank=True, editable=False)
    adjourned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["board", "starts_at"]), models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board.name}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("meeting", args=[self.pk])

    @property
    def is_upcoming(self) -> bool:
        return self.starts_at >= timezone.now()


class Purpose(models.TextChoices):
    DECISION = "decision", "For decision"
    DISCUSSION = "discussion", "For discussion"
    INFORMATION = "information", "For information"


class AgendaItem(models.Model):
    """One item of a meeting's agenda. Items nest one level under a parent (2, 2.1, 2.2 …)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0, help_text="Order among siblings")
    number = models.CharField(max_length=16, blank=True, editable=False)
    sort_key = models.CharField(max_length=32, blank=True, editable=False)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.INFORMATION)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="presented_items"
    )
    presenter_name = models.CharField(max_length=200, blank=True, help_text="For presenters without an account")
    duration_minutes = models.PositiveIntegerField(default=0)
    confidential = models.BooleanField(
        default=False, verbose_name="Part B (confidential)", help_text="Never public; observers do not see it"
    )

    class Meta:
        # sort_key ("0002.0001") puts every child right after its parent in one ordered query.
        ordering = ["meeting", "sort_key"]
        indexes = [models.Index(fields=["meeting", "sort_key"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    @property
    def presenter_label(self) -> str:
        if self.presenter_id and self.presenter is not None:
            return self.presenter.get_full_name() or self.presenter.get_username()
        return self.presenter_name


class Audience(models.TextChoices):
    MEETING = "meeting", "Everyone who may see the meeting"
    ITEM = "item", "Everyone who may see one agenda item"
    USER = "user", "One user"


class MeetingEvent(models.Model):
    """One entry of a meeting's live log. ``seq`` is gap-free per meeting and never reused.

    The database is the source of truth: a socket that missed events replays them from here.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.MEETING)
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The id the actor's device gave the command, so a retried frame changes nothing twice.
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seq"], name="meetingevent_unique_seq"),
            models.UniqueConstraint(
                fields=["actor", "client_id"],
                condition=Q(client_id__isnull=False),
                name="meetingevent_unique_client_id",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


class Presence(models.Model):
    """One open socket: who is connected to a meeting now, and from which device."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    device = models.CharField(max_length=60, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["meeting", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.device or 'a device'}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    APOLOGIES = "apologies", "Apologies"
    ABSENT = "absent", "Absent"
    LATE = "late", "Joined late"
    LEFT_EARLY = "left_early", "Left early"


class Attendance(models.Model):
    """The secretary's record of one person at one meeting. Quorum is derived from it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    arrived_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting", "user__last_name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_unique_person")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_status_display()}"

    @property
    def in_the_room(self) -> bool:
        return self.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE) and self.left_at is None


class Declaration(models.Model):
    """A declared conflict of interest: the member is recused from the item (and its sub-items)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="declarations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declarations")
    nature = models.CharField(max_length=500, help_text="The interest, as it will read in the minutes")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at"]
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="declaration_unique_person")]

    def __str__(self) -> str:
        return f"{self.user} on {self.item}: {self.nature}"


def default_vote_options() -> list[str]:
    return ["For", "Against", "Abstain"]


class Motion(models.Model):
    """A motion put to the vote on an agenda item, with its ballots and recorded result."""

    class Status(models.TextChoices):
        OPEN = "open", "Voting open"
        CLOSED = "closed", "Closed"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="motions")
    text = models.TextField(max_length=2000)
    options = models.JSONField(default=default_vote_options)
    secret = models.BooleanField(default=False, help_text="Secret ballot: who voted how is never shown")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Who proposed and who seconded the motion, as the minutes record them (optional).
    mover = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Filled in when the vote closes: counts per option, the outcome, and the quorum at that moment.
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["item", "opened_at"]

    def __str__(self) -> str:
        return self.text[:80]


class Ballot(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="ballots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=100)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["motion", "user"], name="ballot_one_per_member")]

    def __str__(self) -> str:
        return f"{self.user} on {self.motion_id}"


class SpeakerRequest(models.Model):
    """A member's request to speak on an agenda item: queued, then given the floor, then done.

    The chair (or the secretary) gives the floor in the order they choose; at most one person
    holds the floor on an item at a time. Finished and withdrawn requests stay as the record.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to speak"
        SPEAKING = "speaking", "Has the floor"
        DONE = "done", "Has spoken"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ACTIVE = (Status.QUEUED, Status.SPEAKING)

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speaker_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField(auto_now_add=True)
    given_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "user"],
                condition=Q(status__in=["queued", "speaking"]),
                name="speakerrequest_one_active_per_person",
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="speaking"), name="speakerrequest_one_floor_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.item_id} ({self.status})"


class Majority(models.TextChoices):
    """How many of ALL eligible members must agree (not only of those who answered)."""

    SIMPLE = "simple", "Simple majority: more than half of the eligible members"
    THREE_QUARTERS = "three_quarters", "Special resolution: at least 75 % of the eligible members"
    UNANIMOUS = "unanimous", "Unanimous: every eligible member"


class ResolutionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CIRCULATED = "circulated", "Awaiting votes"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Not passed"
    LAPSED = "lapsed", "Lapsed at the deadline"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Resolution(models.Model):
    """A written resolution: a motion circulated to a board between meetings for approval by a deadline.

    Circulating freezes the text (its hash is kept) and the list of eligible members (one
    ``ResolutionVoter`` row each). It is decided as soon as the outcome is settled, or at the
    deadline; ``result`` then holds the record for the minutes.
    """

    DECIDED = (ResolutionStatus.PASSED, ResolutionStatus.FAILED, ResolutionStatus.LAPSED)

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="resolutions")
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=10000, help_text="The resolution exactly as members agree to it")
    background = models.TextField(
        max_length=20000, blank=True, help_text="Explanatory note: why it is proposed and what it means"
    )
    options = models.JSONField(default=default_vote_options)
    majority = models.CharField(max_length=16, choices=Majority.choices, default=Majority.SIMPLE)
    confidential = models.BooleanField(default=False, help_text="Only members who may see Part B business see it")
    deadline = models.DateTimeField()
    status = models.CharField(max_length=12, choices=ResolutionStatus.choices, default=ResolutionStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The id the drafting form was rendered with, so a double submit makes one draft.
    client_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    circulated_at = models.DateTimeField(null=True, blank=True, editable=False)
    circulated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Filled in when decided or withdrawn: counts, threshold, eligible list, votes, declarations.
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["board", "status"]), models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resolution", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == ResolutionStatus.CIRCULATED

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED


class ResolutionVoter(models.Model):
    """One member on a resolution's frozen eligible list: their vote, or their declared interest."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="voters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=300, help_text="The name as it stood when circulated, for the record")
    choice = models.CharField(max_length=100, blank=True)
    voted_at = models.DateTimeField(null=True, blank=True)
    interest = models.CharField(max_length=500, blank=True, help_text="A declared interest: the member is recused")
    declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["resolution", "name"]
        constraints = [models.UniqueConstraint(fields=["resolution", "user"], name="resolutionvoter_one_per_member")]

    def __str__(self) -> str:
        return f"{self.name} on {self.resolution_id}"

    @property
    def recused(self) -> bool:
        return bool(self.interest)


class Notice(models.Model):
    """An in-app notice to one person about one meeting (published, papers changed…) or, with no
    meeting, about something of a board (a written resolution).

    Emails are sent from notices: at most one per person per meeting (or per board, for board
    notices) in any two hours, carrying every notice not yet emailed.
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", "Meeting published"
        PAPERS_CHANGED = "papers_changed", "Papers changed"
        AGENDA_CHANGED = "agenda_changed", "Agenda changed"
        MENTIONED = "mentioned", "Mentioned in a comment"
        RESOLUTION_CIRCULATED = "resolution_circulated", "Written resolution circulated"
        RESOLUTION_DECIDED = "resolution_decided", "Written resolution decided"
        REMINDER = "reminder", "Reminder to read papers"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    resolution = models.ForeignKey(Resolution, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    # The agenda item the notice names, if any: it is shown only while the reader may see that item.
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "meeting", "emailed_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False) | Q(board__isnull=False), name="notice_about_meeting_or_board"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        if self.resolution_id is not None and self.resolution is not None:
            return self.resolution.get_absolute_url()
        if self.meeting_id is not None and self.meeting is not None:
            return self.meeting.get_absolute_url()
        return reverse("board", args=[self.board_id])

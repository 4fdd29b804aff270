"""Mutation run over the access rules: does a test notice when a rule is broken?

Each mutation below is one small edit to the code that decides who may see or do what
(``boardroom/policy.py`` and the places that hand its answers on: selectors, the socket's view of
its user, the annotation service). The script copies the working tree to a temporary folder,
applies one mutation at a time to that copy (the checkout itself is never touched), runs the fast
tests that guard that rule (embedded, no browser) and reports:

* ``killed``    a test failed: the broken rule was noticed;
* ``survived``  every test passed: no test guards this rule (a gap to close with a test);
* ``stale``     the text to mutate is no longer in the file (the code changed: update the list);
* ``ambiguous`` the text occurs more than once (make it longer);
* ``error``     pytest could not run (the mutant does not even import: fix the mutation).

Mutations that change nothing a user can observe are marked equivalent with the reason, run all
the same, and are not counted against the result.

    .venv/bin/python scripts/mutate.py                # every mutation
    .venv/bin/python scripts/mutate.py --list         # names only
    .venv/bin/python scripts/mutate.py recusal-can    # some of them, by name
    .venv/bin/python scripts/mutate.py --report docs/mutation.md   # also write the result table

``make mutate`` runs them all and writes docs/mutation.md. The exit status is non-zero when a
mutant that is not equivalent survived, or a mutation is stale or ambiguous.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the copy leaves out: history, installed things, local data and caches.
SKIP = (
    *(".git", ".venv", "node_modules", "var", "staticfiles", "test-results"),
    *("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", ".pytest_cache"),
)

# The same guard as `make test`: nothing from the developer's shell may switch a service on.
sys.path.insert(0, str(ROOT))
from boardroom.settings.env import SERVICE_VARIABLES  # noqa: E402

TIMEOUT_S = 900

POLICY = "boardroom/policy.py"
MATRIX = "tests/test_policy.py::test_policy_matches_the_matrix"
RESOLUTIONS = "tests/test_policy.py::test_written_resolutions_follow_the_matrix"
MINUTES = "tests/test_policy.py::test_minutes_and_actions_follow_the_matrix"
SEARCH_MATRIX = "tests/test_policy.py::test_search_hits_follow_the_matrix"
RULES = "tests/test_access_rules.py"


@dataclass(frozen=True)
class Mutation:
    name: str
    area: str
    path: str
    old: str
    new: str
    what: str
    tests: tuple[str, ...]
    equivalent: str = ""  # why no user could ever notice it, if so


MUTATIONS: list[Mutation] = [
    # --- Part B ---------------------------------------------------------------------------------
    Mutation(
        "part-b-can",
        "Part B",
        POLICY,
        "    if item.confidential and VIEW_CONFIDENTIAL not in held:\n        return False\n",
        "",
        "can() lets anyone who sees the meeting open a Part B item",
        (MATRIX,),
    ),
    Mutation(
        "part-b-visible",
        "Part B",
        POLICY,
        '& (Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}meeting__board_id__in": confidential_ok}))',
        "",
        "visible() lists Part B items to those without view_confidential",
        (MATRIX,),
    ),
    Mutation(
        "part-b-resolution",
        "Part B",
        POLICY,
        "    if resolution.confidential and VIEW_CONFIDENTIAL not in held:\n        return False\n",
        "",
        "a confidential written resolution opens for observers",
        (RESOLUTIONS,),
    ),
    Mutation(
        "part-b-minute",
        "Part B",
        POLICY,
        "    return _item_rule(held, entry.item, Action.VIEW, access.recused) and _minutes_rule(",
        "    return _minutes_rule(",
        "an item's minute ignores its item (Part B minutes for observers, recused members)",
        (MINUTES,),
    ),
    # --- recusal ----------------------------------------------------------------------------------
    Mutation(
        "recusal-can",
        "recusal",
        POLICY,
        "    if item.pk in recused:\n        return False\n",
        "",
        "can() ignores a declared interest",
        (MATRIX,),
    ),
    Mutation(
        "recusal-visible",
        "recusal",
        POLICY,
        '            & ~Q(**{f"{prefix}pk__in": access.recused})\n',
        "",
        "visible() lists the items a member is recused from",
        (MATRIX,),
    ),
    Mutation(
        "recusal-sub-items",
        "recusal",
        POLICY,
        "        if child_id is not None:\n            recused[uid].add(child_id)\n",
        "",
        "an interest in an item no longer recuses from its sub-items",
        (RULES + "::test_an_interest_in_an_item_recuses_from_its_sub_items_too", MATRIX),
    ),
    Mutation(
        "recusal-socket-refresh",
        "recusal",
        "meetings/consumers.py",
        'REFRESHING_EVENTS = frozenset({"agenda.changed", "declaration.recorded"})',
        'REFRESHING_EVENTS = frozenset({"agenda.changed"})',
        "an open socket keeps sending an item's events after its user declares an interest in it",
        (RULES + "::test_declaring_an_interest_mid_meeting_stops_that_items_events_at_once",),
    ),
    # --- membership dates -------------------------------------------------------------------------
    Mutation(
        "dates-ignored",
        "membership dates",
        POLICY,
        "    current = Membership.objects.current().filter(user_id__in=user_ids)\n",
        "    current = Membership.objects.filter(user_id__in=user_ids)\n",
        "grants count whatever the membership's dates",
        (MATRIX,),
    ),
    Mutation(
        "dates-term-end",
        "membership dates",
        "meetings/models.py",
        "Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day",
        "Q(valid_until__isnull=True) | Q(valid_until__gte=day - dt.timedelta(days=1)), valid_from__lte=day",
        "a term still counts the day after its last day",
        (MATRIX,),
    ),
    Mutation(
        "dates-term-start",
        "membership dates",
        "meetings/models.py",
        "Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day",
        "Q(valid_until__isnull=True) | Q(valid_until__gte=day)",
        "a term counts before it begins",
        (MATRIX,),
    ),
    Mutation(
        "grant-without-seat",
        "membership dates",
        POLICY,
        "        if (uid, bid) in seated:\n",
        "        if True:\n",
        "a grant left behind without a seat in force still counts",
        (MATRIX, "tests/test_policy.py::test_superuser_with_a_direct_grant_but_no_seat_sees_nothing"),
        equivalent="grants are only read for boards where one of the users asked about is seated, and every "
        "caller asks about one user, or about the users seated on the one board it names",
    ),
    # --- drafts -----------------------------------------------------------------------------------
    Mutation(
        "draft-meeting-can",
        "drafts",
        POLICY,
        "    if meeting.status == MeetingStatus.DRAFT and not prepares:\n        return False\n",
        "",
        "can() opens a draft meeting to members",
        (MATRIX,),
    ),
    Mutation(
        "draft-meeting-visible",
        "drafts",
        POLICY,
        '~Q(**{f"{prefix}status": MeetingStatus.DRAFT}) | Q(**{f"{prefix}board_id__in": preparing})',
        "Q()",
        "visible() lists draft meetings to members",
        (MATRIX,),
    ),
    Mutation(
        "draft-resolution",
        "drafts",
        POLICY,
        "    if resolution.circulated_at is None and not prepares:\n        return False\n",
        "",
        "a written resolution not yet circulated opens for members",
        (RESOLUTIONS,),
    ),
    Mutation(
        "draft-minutes",
        "drafts",
        POLICY,
        "    if minutes.status == MinutesStatus.DRAFT and not prepares:\n        return False\n",
        "",
        "draft minutes open for members",
        (MINUTES,),
    ),
    # --- manage rights and roles ------------------------------------------------------------------
    Mutation(
        "manage-meeting",
        "manage rights",
        POLICY,
        "    if action in (Action.MANAGE, Action.PUBLISH):\n        return MANAGE_BOARD in held\n",
        "    if action in (Action.MANAGE, Action.PUBLISH):\n        return True\n",
        "every member may edit and publish a meeting",
        (MATRIX,),
    ),
    Mutation(
        "manage-board",
        "manage rights",
        POLICY,
        "            return VIEW_BOARD in held and MANAGE_BOARD in held\n",
        "            return VIEW_BOARD in held\n",
        "every member may manage the board",
        (MATRIX,),
    ),
    Mutation(
        "manage-item-publish",
        "manage rights",
        POLICY,
        "    if action == Action.PUBLISH:\n        return False\n    return _meeting_rule(",
        "    return _meeting_rule(",
        "an agenda item can be 'published' on its own",
        (RULES + "::test_items_and_papers_are_never_published_on_their_own",),
    ),
    Mutation(
        "chair-rights",
        "manage rights",
        POLICY,
        "        return CHAIR_BOARD in held and meeting.status != MeetingStatus.DRAFT\n",
        "        return MANAGE_BOARD in held and meeting.status != MeetingStatus.DRAFT\n",
        "the secretary chairs instead of the chair",
        (MATRIX,),
    ),
    Mutation(
        "participate-closed",
        "manage rights",
        POLICY,
        "        return PARTICIPATE in held and meeting.status in OPEN_FOR_PARTICIPATION\n",
        "        return PARTICIPATE in held\n",
        "members may still comment and vote once the meeting is closed",
        (RULES + "::test_nobody_takes_part_in_a_closed_meeting",),
    ),
    Mutation(
        "resolution-voters",
        "manage rights",
        POLICY,
        'ResolutionVoter.objects.filter(resolution=resolution, user_id=access.user_id, interest="").exists()',
        "ResolutionVoter.objects.filter(resolution=resolution, user_id=access.user_id).exists()",
        "a member who declared an interest in a written resolution may still vote on it",
        (RESOLUTIONS,),
    ),
    # --- paper readiness --------------------------------------------------------------------------
    Mutation(
        "paper-ready-can",
        "paper readiness",
        POLICY,
        "        if action == Action.VIEW and obj.current_version_id is None and MANAGE_BOARD not in held:\n",
        "        if False:\n",
        "can() opens a paper still processing (or refused) to members",
        (RULES + "::test_a_paper_that_is_not_ready_is_for_those_who_manage_the_board",),
    ),
    Mutation(
        "paper-ready-visible",
        "paper readiness",
        POLICY,
        '            Q(**{f"{prefix}current_version__isnull": False}) | Q(**{f"{prefix}item__meeting__board_id__in": managing})\n',  # noqa: E501
        "            Q()\n",
        "visible() lists papers still processing (or refused) to members",
        (RULES + "::test_a_paper_that_is_not_ready_is_for_those_who_manage_the_board",),
    ),
    Mutation(
        "meeting-page-papers",
        "paper readiness",
        "meetings/selectors.py",
        "        policy.visible(user, Paper.objects.filter(item__meeting=meeting))\n",
        "        Paper.objects.filter(item__meeting=meeting)\n",
        "the meeting page lists papers without asking the policy",
        (RULES + "::test_the_meeting_page_lists_only_ready_papers_to_members",),
    ),
    Mutation(
        "meeting-page-items",
        "Part B",
        "meetings/selectors.py",
        "        policy.visible(user, AgendaItem.objects.filter(meeting=meeting))\n",
        "        AgendaItem.objects.filter(meeting=meeting)\n",
        "the meeting page lists every item without asking the policy",
        ("tests/test_policy.py::test_meeting_page_lists_only_the_items_and_papers_the_role_may_see",),
    ),
    Mutation(
        "item-papers",
        "paper readiness",
        "documents/selectors.py",
        "    papers = policy.visible(user, Paper.objects.filter(item=item)).select_related",
        "    papers = Paper.objects.filter(item=item).select_related",
        "an item's paper list skips the policy",
        (RULES + "::test_an_items_paper_list_holds_only_ready_papers_for_members",),
    ),
    Mutation(
        "paper-versions",
        "paper readiness",
        "documents/selectors.py",
        '        versions = versions.filter(status="ready")\n',
        "        pass\n",
        "members see an earlier version still processing or refused",
        ("tests/test_uploads.py::test_a_refused_replacement_keeps_the_current_version",),
    ),
    # --- search -----------------------------------------------------------------------------------
    Mutation(
        "search-unfiltered",
        "search",
        "search/selectors.py",
        "    entries = policy.visible(user, SearchEntry.objects.all())\n",
        "    entries = SearchEntry.objects.all()\n",
        "search ranks every entry, whatever the user may see",
        ("tests/test_search.py",),
    ),
    Mutation(
        "search-paper-rule",
        "search",
        POLICY,
        '(Q(**{f"{prefix}paper__isnull": False}) & _visibility_q(access, Paper, f"{prefix}paper__"))',
        '(Q(**{f"{prefix}paper__isnull": False}))',
        "a page hit shows whenever the board is visible (Part B, recused, drafts)",
        (SEARCH_MATRIX, "tests/test_search.py"),
    ),
    Mutation(
        "search-minute-rule",
        "search",
        POLICY,
        '                & _minutes_visibility_q(access, MinuteItem, f"{prefix}minute_item__")\n',
        "",
        "a minute hit shows whenever the board is visible",
        (SEARCH_MATRIX, "tests/test_search.py"),
    ),
    Mutation(
        "search-board-column",
        "search",
        POLICY,
        '        return Q(**{f"{prefix}board_id__in": access.boards_with(VIEW_BOARD)}) & (\n',
        "        return Q() & (\n",
        "search drops its cheap board filter",
        (SEARCH_MATRIX, "tests/test_search.py"),
        equivalent="the page and minute rules below it already require a board the user may view",
    ),
    Mutation(
        "search-can",
        "search",
        POLICY,
        "        return obj.minute_item is not None and _entry_rule(access, held, obj.minute_item, action)\n",
        "        return obj.minute_item is not None\n",
        "can() on a minute's search entry ignores the minute",
        (SEARCH_MATRIX,),
    ),
    # --- the socket's audience --------------------------------------------------------------------
    Mutation(
        "socket-item-audience",
        "socket audience",
        "meetings/live.py",
        "            return item_id in self.items\n",
        "            return True\n",
        "item events reach sockets whose user may not see the item",
        (RULES + "::test_a_sockets_view_admits_only_what_its_user_may_see",),
    ),
    Mutation(
        "socket-user-audience",
        "socket audience",
        "meetings/live.py",
        "            return user_id == self.user_id\n",
        "            return True\n",
        "one user's events (private annotations) reach everyone",
        (RULES + "::test_a_sockets_view_admits_only_what_its_user_may_see",),
    ),
    Mutation(
        "socket-items-unfiltered",
        "socket audience",
        "meetings/live.py",
        '    items = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id)).values_list("pk", flat=True)',  # noqa: E501
        '    items = AgendaItem.objects.filter(meeting_id=meeting_id).values_list("pk", flat=True)',
        "the socket's list of visible items skips the policy",
        (RULES + "::test_a_sockets_view_admits_only_what_its_user_may_see",),
    ),
    Mutation(
        "socket-live-path",
        "socket audience",
        "meetings/consumers.py",
        '        if self.view.admits(message["audience"], message["item"], message["user"]):\n'
        '            await self.send(text_data=message["frame"])\n'
        "        self.last_sent = seq\n        return True\n",
        '        await self.send(text_data=message["frame"])\n        self.last_sent = seq\n        return True\n',
        "the fast path sends a bell without asking the socket's view",
        ("tests/test_consumers.py::test_part_b_events_never_reach_an_observer",),
    ),
    Mutation(
        "socket-queued-path",
        "socket audience",
        "meetings/consumers.py",
        '        if self.view.admits(message["audience"], message["item"], message["user"]):\n'
        '            await self.send(text_data=message["frame"])\n'
        "        self.last_sent = seq\n        if message.get",
        '        await self.send(text_data=message["frame"])\n        self.last_sent = seq\n        if message.get',
        "a queued bell (socket busy) is sent without asking the socket's view",
        (RULES + "::test_a_queued_bell_is_filtered_like_a_direct_one",),
    ),
    Mutation(
        "socket-replay",
        "socket audience",
        "meetings/consumers.py",
        "                if self.view is not None and self.view.admits(event.audience, event.item_id, event.user_id):\n",  # noqa: E501
        "                if self.view is not None:\n",
        "a replay sends events the user may not see",
        ("tests/test_consumers.py::test_resume_sends_exactly_the_missed_visible_events_in_order",),
    ),
    # --- action owners ----------------------------------------------------------------------------
    Mutation(
        "action-owner-can",
        "action owners",
        POLICY,
        "        owns = obj.owner_id is not None and obj.owner_id == access.user_id and VIEW_BOARD in held\n",
        "        owns = obj.owner_id is not None and obj.owner_id == access.user_id\n",
        "can(): a former board member still sees and moves on actions they own",
        (RULES + "::test_a_former_member_no_longer_sees_the_actions_they_own",),
    ),
    Mutation(
        "action-owner-visible",
        "action owners",
        POLICY,
        '        owned = Q(**{f"{prefix}owner_id": access.user_id}) & Q(\n'
        '            **{f"{prefix}board_id__in": access.boards_with(VIEW_BOARD)}\n        )\n',
        '        owned = Q(**{f"{prefix}owner_id": access.user_id})\n',
        "visible(): a former board member still finds actions they own",
        (RULES + "::test_a_former_member_no_longer_sees_the_actions_they_own",),
    ),
    Mutation(
        "action-owner-moves-on",
        "action owners",
        POLICY,
        "            return owns or _entry_rule(access, held, obj.entry, Action.MANAGE)\n",
        "            return _entry_rule(access, held, obj.entry, Action.MANAGE)\n",
        "an owner may not move their own action on",
        (MINUTES,),
    ),
    Mutation(
        "action-list",
        "action owners",
        "minutes/selectors.py",
        "    actions = policy.visible(user, ActionItem.objects.filter(status__in=OPEN_ACTION_STATUSES))\n",
        "    actions = ActionItem.objects.filter(status__in=OPEN_ACTION_STATUSES)\n",
        "the actions page lists every open action",
        (RULES + "::test_a_former_member_no_longer_sees_the_actions_they_own",),
    ),
    Mutation(
        "minute-entries",
        "Part B",
        "minutes/selectors.py",
        "        policy.visible(user, MinuteItem.objects.filter(minutes=minutes))\n",
        "        MinuteItem.objects.filter(minutes=minutes)\n",
        "the minutes page shows every item's minute",
        (RULES + "::test_the_minutes_page_shows_only_the_minutes_of_items_the_reader_may_see",),
    ),
    # --- annotations ------------------------------------------------------------------------------
    Mutation(
        "annotation-private-can",
        "annotations",
        POLICY,
        "        return mine or annotation.visibility == Visibility.SHARED\n",
        "        return True\n",
        "can() shows someone's private annotation to others",
        (RULES + "::test_a_private_annotation_is_its_authors_alone",),
    ),
    Mutation(
        "annotation-private-visible",
        "annotations",
        POLICY,
        '            & (Q(**{f"{prefix}visibility": Visibility.SHARED}) | Q(**{f"{prefix}author_id": access.user_id}))\n',  # noqa: E501
        "",
        "visible() lists others' private annotations",
        ("tests/test_annotations.py::test_private_stays_with_its_author_and_shared_follows_the_policy",),
    ),
    Mutation(
        "annotation-manage",
        "annotations",
        POLICY,
        "    if action == Action.MANAGE:\n        return mine\n",
        "    if action == Action.MANAGE:\n        return True\n",
        "anyone who sees a shared annotation may change or delete it",
        (RULES + "::test_a_private_annotation_is_its_authors_alone",),
    ),
    Mutation(
        "annotation-deleted",
        "annotations",
        POLICY,
        "    if annotation.deleted_at is not None or not _item_rule(",
        "    if not _item_rule(",
        "a deleted annotation still opens",
        (RULES + "::test_a_private_annotation_is_its_authors_alone",),
    ),
    Mutation(
        "annotation-item-rule",
        "annotations",
        POLICY,
        "    if annotation.deleted_at is not None or not _item_rule(held, annotation.paper.item, Action.VIEW, access.recused):\n",  # noqa: E501
        "    if annotation.deleted_at is not None:\n",
        "a shared annotation opens for someone who may not read its paper (Part B, recused)",
        (RULES + "::test_a_shared_annotation_follows_its_paper",),
    ),
    Mutation(
        "annotation-share-right",
        "annotations",
        "documents/annotating.py",
        "    if visibility == Visibility.SHARED and not _may_share(actor, paper):\n",
        "    if False:\n",
        "an observer may share an annotation with the board",
        ("tests/test_annotations.py::test_an_observer_cannot_share_and_the_author_can_unshare_and_delete",),
    ),
    Mutation(
        "annotation-update-right",
        "annotations",
        "documents/annotating.py",
        "    if not policy.can(actor, Action.MANAGE, annotation):\n"
        '        raise PermissionDenied("Only its author can change an annotation.")\n',
        "",
        "anyone who sees an annotation may change it",
        ("tests/test_annotations.py", RULES + "::test_a_private_annotation_is_its_authors_alone"),
    ),
    Mutation(
        "annotation-delete-right",
        "annotations",
        "documents/annotating.py",
        "    if not policy.can(actor, Action.MANAGE, annotation):\n"
        '        raise PermissionDenied("Only its author can remove an annotation.")\n',
        "",
        "anyone who sees an annotation may delete it",
        ("tests/test_annotations.py", RULES + "::test_a_private_annotation_is_its_authors_alone"),
    ),
    Mutation(
        "annotation-private-live",
        "annotations",
        "documents/annotating.py",
        "meeting=meeting, type=kind, data=payload, actor=annotation.author, user=annotation.author)",
        "meeting=meeting, type=kind, data=payload, actor=annotation.author, item=annotation.paper.item)",
        "a private annotation is announced to everyone reading the item",
        (
            "tests/test_annotations.py::test_shared_annotations_travel_live_to_the_item_and_private_ones_to_their_author_only",
        ),
    ),
]


@dataclass
class Outcome:
    mutation: Mutation
    result: str
    seconds: float
    detail: str = ""


def copy_tree(target: Path) -> Path:
    """A copy of the checkout to mutate; node_modules is linked (large, never mutated)."""
    tree = target / "boardroom-mutants"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    if (ROOT / "node_modules").exists():
        (tree / "node_modules").symlink_to(ROOT / "node_modules")
    return tree


def test_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a restored file must never meet its mutant's bytecode
    env["BOARDROOM_DATA_DIR"] = str(data_dir)
    return env


def run_tests(tree: Path, tests: Sequence[str], env: dict[str, str]) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not browser", *tests]
    try:
        done = subprocess.run(  # noqa: S603 — fixed arguments, our own interpreter
            command, cwd=tree, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, "timed out"
    return done.returncode, done.stdout + done.stderr


def first_failure(output: str) -> str:
    found = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return found.group(1) if found else ""


def locate(tree: Path, mutation: Mutation) -> tuple[str, str]:
    """The file's text and "" when the mutation applies once; otherwise "" and why not."""
    path = tree / mutation.path
    if not path.exists():
        return "", f"{mutation.path} is gone"
    original = path.read_text()
    count = original.count(mutation.old)
    if count == 0:
        return "", "the text to mutate is not in the file"
    if count > 1:
        return "", f"the text occurs {count} times"
    return original, ""


def check(tree: Path, mutation: Mutation, env: dict[str, str]) -> Outcome:
    original, problem = locate(tree, mutation)
    if problem:
        return Outcome(mutation, "ambiguous" if "occurs" in problem else "stale", 0.0, problem)
    path = tree / mutation.path
    path.write_text(original.replace(mutation.old, mutation.new))
    started = time.monotonic()
    try:
        code, output = run_tests(tree, mutation.tests, env)
    finally:
        path.write_text(original)
    seconds = time.monotonic() - started
    if code == 0:
        return Outcome(mutation, "survived", seconds)
    if code == 1:
        return Outcome(mutation, "killed", seconds, first_failure(output))
    if code == -1:
        return Outcome(mutation, "killed", seconds, "timed out")
    return Outcome(mutation, "error", seconds, output.strip().splitlines()[-1] if output.strip() else f"exit {code}")


def counts_against(outcome: Outcome) -> bool:
    if outcome.mutation.equivalent:
        return outcome.result in ("stale", "ambiguous", "error")
    return outcome.result in ("survived", "stale", "ambiguous", "error")


def report(outcomes: list[Outcome], baseline_s: float) -> str:
    killed = sum(o.result == "killed" for o in outcomes if not o.mutation.equivalent)
    real = sum(not o.mutation.equivalent for o in outcomes)
    lines = [
        "| # | mutation | area | file | what breaks | result | noticed by | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, o in enumerate(outcomes, start=1):
        result = o.result + (" (equivalent)" if o.mutation.equivalent else "")
        detail = o.detail.replace("|", "\\|")
        if o.mutation.equivalent:
            detail = (detail + "; " if detail else "") + "equivalent: " + o.mutation.equivalent
        lines.append(
            f"| {number} | `{o.mutation.name}` | {o.mutation.area} | `{o.mutation.path}` | {o.mutation.what} "
            f"| {result} | {detail} | {o.seconds:.0f} |"
        )
    summary = (
        f"{killed} of {real} non-equivalent mutants killed; "
        f"{len(outcomes) - real} equivalent; "
        f"{sum(counts_against(o) for o in outcomes)} against the result. "
        f"Baseline run (no mutation): {baseline_s:.0f} s."
    )
    return summary + "\n\n" + "\n".join(lines) + "\n"


def write_report(path: Path, table: str) -> None:
    """Replace the generated part of the report (between the markers), keeping the prose."""
    start, end = "<!-- mutation-results -->", "<!-- /mutation-results -->"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"{start}\nLast run: {stamp}.\n\n{table}{end}"
    text = path.read_text() if path.exists() else f"# Mutation run\n\n{start}\n{end}\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation run over Boardroom's access rules.")
    parser.add_argument("names", nargs="*", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the mutations (and any stale one) and stop")
    parser.add_argument("--report", type=Path, help="write the result table into this Markdown file")
    args = parser.parse_args(argv)

    chosen = MUTATIONS
    if args.names:
        unknown = sorted(set(args.names) - {m.name for m in MUTATIONS})
        if unknown:
            parser.error(f"no mutation named {', '.join(unknown)}")
        chosen = [m for m in MUTATIONS if m.name in args.names]
    if args.list:
        for m in chosen:
            problem = locate(ROOT, m)[1]
            print(f"{m.name:28} {m.area:18} {m.path}: {m.what}" + (f"  [STALE: {problem}]" if problem else ""))
        return 0

    with tempfile.TemporaryDirectory(prefix="boardroom-mutate-") as folder:
        tree = copy_tree(Path(folder))
        env = test_env(Path(folder) / "data")
        tests = sorted({t for m in chosen for t in m.tests})
        print(f"Copied the tree to {tree}; baseline run of {len(tests)} test targets ...", flush=True)
        started = time.monotonic()
        code, output = run_tests(tree, tests, env)
        baseline_s = time.monotonic() - started
        if code != 0:
            print(output[-4000:])
            print("The tests fail without any mutation: fix that first.", file=sys.stderr)
            return 2
        print(f"baseline passed in {baseline_s:.0f} s", flush=True)
        outcomes = []
        for number, mutation in enumerate(chosen, start=1):
            outcome = check(tree, mutation, env)
            outcomes.append(outcome)
            mark = " (equivalent)" if mutation.equivalent else ""
            print(
                f"[{number}/{len(chosen)}] {mutation.name:28} {outcome.result}{mark} "
                f"{outcome.seconds:.0f}s {outcome.detail}",
                flush=True,
            )
    table = report(outcomes, baseline_s)
    print()
    print(table)
    if args.report:
        write_report(args.report, table)
        print(f"Written to {args.report}")
    return 1 if any(counts_against(o) for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

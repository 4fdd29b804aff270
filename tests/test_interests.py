"""The register of interests: who reads and keeps it, how entries meet agenda items, and the
prompts that lead to a declaration (recorded by the meetings' own service, so it recuses and
reaches the minutes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory

from boardroom import policy
from boardroom.policy import Action
from interests import selectors, services
from interests.models import Dismissal, Interest, ItemInterestTag
from meetings import services as meeting_services
from meetings.models import AgendaItem, Declaration, MeetingStatus
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.factories import MeetingFactory

ROLES = ["chair", "secretary", "member", "recused", "observer", "former", "future", "outsider", "superuser"]


def _mill_lane(world: BoardWorld, who: User | None = None, **extra: Any) -> Interest:
    member = who or world.member
    return services.interest_register(
        actor=member,
        board=world.board,
        member=member,
        description="Director of Mill Lane Ltd",
        keywords=extra.pop("keywords", "Mill Lane\nMLL"),
        category="directorship",
        **extra,
    )


def _item(world: BoardWorld, title: str, description: str = "", meeting: Any = None) -> AgendaItem:
    """An item added to the published meeting (the builder adds to drafts; tests need it live)."""
    meeting = meeting or world.meeting
    last = AgendaItem.objects.filter(meeting=meeting).count()
    return AgendaItem.objects.create(
        meeting=meeting,
        title=title,
        description=description,
        position=last + 1,
        number=str(last + 1),
        sort_key=f"{last + 1:04d}",
    )


def _prompts_html(user: User, meeting: Any, **context: Any) -> str:
    request = RequestFactory().get(f"/meetings/{meeting.pk}/")
    request.user = user
    template = Template("{% load interest_tags %}{% interest_prompts meeting %}")
    return template.render(Context({"request": request, "meeting": meeting, "csrf_token": "t", **context}))


def _who(world: BoardWorld, role: str) -> Any:
    if role == "anonymous":
        return AnonymousUser()
    user = getattr(world, role)
    policy.forget(user)
    return user


# --- the policy ----------------------------------------------------------------------------------

# Written by hand: who may read and keep the register of the Riverside board, and the tags and
# answers on its items. Observers, former and future members, outsiders and superusers: nothing.
_READERS = {"chair", "secretary", "member", "recused"}
REGISTER_EXPECTED: dict[str, set[str]] = {
    "chair": {"entry:view", "entry:manage", "tag:view", "tag:manage", "answer:view"},
    "secretary": {"entry:view", "entry:manage", "tag:view", "tag:manage", "answer:view"},
    "member": {"entry:view", "entry:manage", "tag:view", "answer:view", "answer:manage"},
    "recused": {"entry:view"},  # the tag and the answer are on the item they are recused from
    "observer": set(),
    "former": set(),
    "future": set(),
    "outsider": set(),
    "superuser": set(),
    "anonymous": set(),
}


def _register_objects(world: BoardWorld) -> dict[str, Any]:
    entry = _mill_lane(world)
    tag = services.item_tag(actor=world.secretary, item=world.public_item, interest=entry)
    answer = services.interest_dismiss(actor=world.member, interest=entry, item=world.public_item)
    return {"entry": entry, "tag": tag, "answer": answer}


def test_register_follows_its_matrix(world: BoardWorld) -> None:
    objects = _register_objects(world)
    problems = []
    for role in [*ROLES, "anonymous"]:
        user = _who(world, role)
        for name, obj in objects.items():
            for action in (Action.VIEW, Action.MANAGE):
                expected = f"{name}:{action}" in REGISTER_EXPECTED[role]
                if policy.can(user, action, obj) != expected:
                    problems.append(f"can: {role} {action} {name}: expected {expected}")
            expected = f"{name}:view" in REGISTER_EXPECTED[role]
            if policy.visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists() != expected:
                problems.append(f"visible: {role} {name}: expected {expected}")
            if role != "anonymous" and policy.audience(obj).filter(pk=user.pk).exists() != expected:
                problems.append(f"audience: {role} {name}: expected {expected}")
    assert problems == [], "\n".join(problems)


def test_a_member_keeps_only_their_own_entries_the_secretary_anyones(world: BoardWorld) -> None:
    theirs = _mill_lane(world, who=world.recused)
    assert not policy.can(world.member, Action.MANAGE, theirs)
    with pytest.raises(PermissionDenied):
        services.interest_update(actor=world.member, interest=theirs, description="Changed")
    with pytest.raises(PermissionDenied):
        services.interest_register(actor=world.member, board=world.board, member=world.recused, description="X")
    services.interest_update(actor=world.secretary, interest=theirs, description="Director, Mill Lane Ltd")
    theirs.refresh_from_db()
    assert theirs.description == "Director, Mill Lane Ltd" and theirs.changed_by == world.secretary
    assert theirs.created_by == world.recused


def test_observers_have_no_entries(world: BoardWorld) -> None:
    with pytest.raises(ValidationError, match="member of the board"):
        services.interest_register(actor=world.secretary, board=world.board, member=world.observer, description="X")


def test_an_ended_entry_stays_on_the_register_and_cannot_be_changed(world: BoardWorld) -> None:
    entry = _mill_lane(world)
    services.interest_end(actor=world.member, interest=entry)
    assert Interest.objects.filter(pk=entry.pk, ended_at__isnull=False).exists()
    with pytest.raises(ValidationError):
        services.interest_update(actor=world.member, interest=entry, description="Again")
    rows = {r.seat.user_id: r for r in selectors.register_of(world.chair, world.board)}
    assert rows[world.member.pk].past == [entry] and rows[world.member.pk].current == []


# --- pages and their refusals --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_register_page_is_for_the_board_alone(world: BoardWorld, role: str) -> None:
    _mill_lane(world)
    client = sign_in(Client(), getattr(world, role))
    response = client.get(f"/boards/{world.board.pk}/interests/")
    if role in _READERS:
        assert response.status_code == 200
        assert "Director of Mill Lane Ltd" in response.content.decode()
    else:
        assert response.status_code == 404
    board_page = client.get(f"/boards/{world.board.pk}/")
    if board_page.status_code == 200:
        assert (f"/boards/{world.board.pk}/interests/" in board_page.content.decode()) == (role in _READERS)


def test_register_page_needs_sign_in(world: BoardWorld) -> None:
    response = Client().get(f"/boards/{world.board.pk}/interests/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_boards_register_and_entries_are_404(world: BoardWorld) -> None:
    entry = _mill_lane(world)
    client = sign_in(Client(), world.outsider)
    assert client.get(f"/boards/{world.board.pk}/interests/").status_code == 404
    assert client.get(f"/interests/{entry.pk}/").status_code == 404
    assert client.post(f"/interests/{entry.pk}/end/").status_code == 404
    assert Interest.objects.get(pk=entry.pk).ended_at is None


def test_a_member_cannot_edit_anothers_entry_the_secretary_can(world: BoardWorld) -> None:
    entry = _mill_lane(world, who=world.recused)
    member = sign_in(Client(), world.member)
    assert member.get(f"/interests/{entry.pk}/").status_code == 403
    assert member.post(f"/interests/{entry.pk}/end/").status_code == 403
    secretary = sign_in(Client(), world.secretary)
    response = secretary.post(
        f"/interests/{entry.pk}/", {"description": "Shareholder, Mill Lane Ltd", "keywords": "Mill Lane"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.description == "Shareholder, Mill Lane Ltd"


def test_member_adds_their_own_entry_and_the_secretary_anyones(world: BoardWorld) -> None:
    member = sign_in(Client(), world.member)
    response = member.post(
        f"/boards/{world.board.pk}/interests/new/",
        {"description": "Trustee of the Riverside Allotments", "keywords": "allotments, Riverside Allotments"},
    )
    assert response.status_code == 302
    entry = Interest.objects.get(member=world.member)
    assert entry.keywords == ["allotments", "Riverside Allotments"] and entry.created_by == world.member
    # A member who names someone else as the member is ignored: there is no such field for them.
    member.post(f"/boards/{world.board.pk}/interests/new/", {"description": "Planted", "member": str(world.recused.pk)})
    assert not Interest.objects.filter(member=world.recused).exists()
    secretary = sign_in(Client(), world.secretary)
    response = secretary.post(
        f"/boards/{world.board.pk}/interests/new/",
        {"description": "Landlord of 4 Mill Lane", "member": world.recused.pk},
    )
    assert response.status_code == 302
    assert Interest.objects.get(member=world.recused).created_by == world.secretary


def test_bad_input_is_a_400_with_the_reason(world: BoardWorld) -> None:
    client = sign_in(Client(), world.member)
    empty = client.post(f"/boards/{world.board.pk}/interests/new/", {"description": "  "})
    assert empty.status_code == 400 and "Say what the interest is" in empty.content.decode()
    long_word = client.post(f"/boards/{world.board.pk}/interests/new/", {"description": "Owner", "keywords": "x" * 200})
    assert long_word.status_code == 400 and "under 80 characters" in long_word.content.decode()
    secretary = sign_in(Client(), world.secretary)
    odd = secretary.post(f"/meetings/{world.meeting.pk}/interests/", {"item": "six", "interest": ""})
    assert odd.status_code == 400 and "Choose an item" in odd.content.decode()
    stranger = secretary.post(
        f"/boards/{world.board.pk}/interests/new/", {"description": "X", "member": str(world.outsider.pk)}
    )
    assert stranger.status_code == 400
    assert not Interest.objects.exists()


def test_declaring_an_ended_entry_is_a_conflict(world: BoardWorld) -> None:
    entry = _mill_lane(world)
    services.interest_end(actor=world.member, interest=entry)
    client = sign_in(Client(), world.member)
    response = client.post(f"/interests/{entry.pk}/items/{world.part_b_item.pk}/declare/")
    assert response.status_code == 409 and "has ended" in response.content.decode()
    assert not Declaration.objects.filter(user=world.member).exists()


def test_an_entry_cannot_be_declared_on_another_boards_item(world: BoardWorld) -> None:
    entry = _mill_lane(world)
    foreign = _item(world, "Mill Lane depot", meeting=world.other_meeting)
    with pytest.raises(ValidationError, match="another board"):
        services.interest_declare(actor=world.member, interest=entry, item=foreign)
    client = sign_in(Client(), world.member)
    assert client.post(f"/interests/{entry.pk}/items/{foreign.pk}/declare/").status_code == 404


# --- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Sale of land at Mill Lane", "Mill Lane"),
        ("SALE OF LAND AT MILL LANE", "Mill Lane"),
        ("Repairs to mill  lane's culvert", "Mill Lane"),
        ("Report by MLL", "MLL"),
        ("Windmill Lanes estate", None),
        ("Millane Road", None),
        ("The mill, lane closures", None),
        ("HMLL accounts", None),
    ],
)
def test_keywords_match_whole_words_in_any_case(text: str, found: str | None) -> None:
    entry = Interest(keywords=["Mill Lane", "MLL"])
    assert selectors.matching_keyword(entry, AgendaItem(title=text)) == found


def test_keywords_are_matched_in_the_description_too() -> None:
    entry = Interest(keywords=["Mill Lane"])
    item = AgendaItem(title="Disposals", description="The council's yard on Mill Lane is surplus.")
    assert selectors.matching_keyword(entry, item) == "Mill Lane"


def test_keywords_are_tidied_when_registered(world: BoardWorld) -> None:
    entry = _mill_lane(world, keywords=" Mill   Lane ,mill lane\n\nx\nMLL")
    assert entry.keywords == ["Mill Lane", "MLL"]


def test_meeting_matches_list_keywords_and_tags_less_declarations(world: BoardWorld) -> None:
    mill = _item(world, "Sale of land at Mill Lane")
    entry = _mill_lane(world)
    theirs = services.interest_register(
        actor=world.recused, board=world.board, member=world.recused, description="Auditor's partner"
    )
    services.item_tag(actor=world.secretary, item=world.public_item, interest=theirs)
    services.item_tag(actor=world.secretary, item=world.part_b_item, interest=entry)
    found = {(m.item.pk, m.member.pk, m.why) for m in selectors.meeting_matches(world.secretary, world.meeting)}
    assert found == {
        (mill.pk, world.member.pk, "keyword “Mill Lane”"),
        (world.part_b_item.pk, world.member.pk, "tagged by the secretary"),
        # the recused member's tag on the public item is left out: they declared on it already
    }


def test_only_the_secretary_or_chair_tags_items(world: BoardWorld) -> None:
    entry = _mill_lane(world)
    with pytest.raises(PermissionDenied):
        services.item_tag(actor=world.member, item=world.part_b_item, interest=entry)
    client = sign_in(Client(), world.member)
    response = client.post(
        f"/meetings/{world.meeting.pk}/interests/", {"item": world.part_b_item.pk, "interest": entry.pk}
    )
    assert response.status_code == 403
    secretary = sign_in(Client(), world.secretary)
    response = secretary.post(
        f"/meetings/{world.meeting.pk}/interests/", {"item": world.part_b_item.pk, "interest": entry.pk}
    )
    assert response.status_code == 302
    tag = ItemInterestTag.objects.get(item=world.part_b_item, interest=entry)
    page = secretary.get(f"/meetings/{world.meeting.pk}/interests/").content.decode()
    assert "Director of Mill Lane Ltd" in page and "tagged by the secretary" in page
    assert secretary.post(f"/meetings/{world.meeting.pk}/interests/tags/{tag.pk}/remove/").status_code == 302
    assert not ItemInterestTag.objects.exists()


# --- the prompt on the meeting page --------------------------------------------------------------


def test_prompt_asks_the_member_about_their_matching_items(world: BoardWorld) -> None:
    mill = _item(world, "Sale of land at Mill Lane")
    _mill_lane(world)
    html = _prompts_html(world.member, world.meeting)
    assert "Your registered interests may concern these items" in html
    assert f"/items/{mill.pk}/declare/" in html and f"/items/{mill.pk}/not-relevant/" in html
    assert "data-confirm=" in html and "csrfmiddlewaretoken" in html
    assert "keyword “Mill Lane”" in html
    # Nobody else is asked about the member's interest, and a draft meeting asks nobody.
    assert "Your registered interests" not in _prompts_html(world.chair, world.meeting)
    world.meeting.status = MeetingStatus.DRAFT
    assert "Your registered interests" not in _prompts_html(world.member, world.meeting)


def test_prompt_is_not_shown_in_the_secretarys_preview(world: BoardWorld) -> None:
    _item(world, "Sale of land at Mill Lane")
    _mill_lane(world, who=world.secretary)
    assert "Your registered interests" in _prompts_html(world.secretary, world.meeting)
    assert "Your registered interests" not in _prompts_html(world.secretary, world.meeting, view_as=True)


def test_declaring_from_the_prompt_records_recuses_and_reaches_the_minutes(world: BoardWorld) -> None:
    from minutes.record import live_record

    mill = _item(world, "Sale of land at Mill Lane")
    entry = _mill_lane(world)
    client = sign_in(Client(), world.member)
    response = client.post(f"/interests/{entry.pk}/items/{mill.pk}/declare/")
    assert response.status_code == 302 and response["Location"].startswith(f"/meetings/{world.meeting.pk}/")
    declaration = Declaration.objects.get(item=mill, user=world.member)
    assert declaration.nature == "Director of Mill Lane Ltd" and declaration.recorded_by == world.member
    policy.forget(world.member)
    assert not policy.can(world.member, Action.VIEW, mill)
    assert {"item": mill.pk, "name": world.member.get_full_name() or "member", "nature": entry.description} in (
        live_record(world.meeting)["declarations"]
    )
    assert "Your registered interests" not in _prompts_html(world.member, world.meeting)
    assert selectors.meeting_matches(world.secretary, world.meeting) == []


def test_not_relevant_is_remembered_per_item_and_entry(world: BoardWorld) -> None:
    mill = _item(world, "Sale of land at Mill Lane")
    other = _item(world, "Mill Lane traffic order")
    entry = _mill_lane(world)
    client = sign_in(Client(), world.member)
    response = client.post(f"/interests/{entry.pk}/items/{mill.pk}/not-relevant/")
    assert response.status_code == 302
    assert Dismissal.objects.filter(item=mill, interest=entry, user=world.member).exists()
    html = _prompts_html(world.member, world.meeting)
    assert f"/items/{mill.pk}/declare/" not in html and f"/items/{other.pk}/declare/" in html
    assert not Declaration.objects.filter(user=world.member).exists()
    # The secretary still sees the match, with the member's answer.
    matches = selectors.meeting_matches(world.secretary, world.meeting)
    assert [(m.item.pk, m.dismissed) for m in matches] == [(mill.pk, True), (other.pk, False)]


def test_only_the_member_answers_not_relevant(world: BoardWorld) -> None:
    mill = _item(world, "Sale of land at Mill Lane")
    entry = _mill_lane(world)
    client = sign_in(Client(), world.secretary)
    response = client.post(f"/interests/{entry.pk}/items/{mill.pk}/not-relevant/")
    assert response.status_code == 403
    assert not Dismissal.objects.exists()


def test_the_secretary_may_declare_a_registered_interest_for_the_member(world: BoardWorld) -> None:
    mill = _item(world, "Sale of land at Mill Lane")
    entry = _mill_lane(world)
    client = sign_in(Client(), world.secretary)
    assert client.post(f"/interests/{entry.pk}/items/{mill.pk}/declare/").status_code == 302
    assert Declaration.objects.get(item=mill, user=world.member).recorded_by == world.secretary


def test_the_meeting_page_itself_is_unaffected_for_a_member_without_entries(world: BoardWorld) -> None:
    assert _prompts_html(world.member, world.meeting).strip() == ""


# --- before publishing ---------------------------------------------------------------------------


def test_publish_page_lists_the_matches_and_still_publishes(world: BoardWorld) -> None:
    draft = world.draft
    mill = meeting_services.agenda_item_add(actor=world.secretary, meeting=draft, title="Sale of land at Mill Lane")
    _mill_lane(world)
    client = sign_in(Client(), world.secretary)
    page = client.get(f"/meetings/{draft.pk}/publish/").content.decode()
    name = world.member.get_full_name() or world.member.username
    assert (
        f"{name} has a registered interest “Director of Mill Lane Ltd” that may concern item {mill.number}, "
        f"Sale of land at Mill Lane (keyword “Mill Lane”)" in page
    )
    assert f"/boards/{world.board.pk}/interests/" in page
    assert client.post(f"/meetings/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == MeetingStatus.PUBLISHED


# --- carrying a declaration onto the register ----------------------------------------------------


def test_recent_declarations_not_on_the_register_are_offered_and_added_in_one_tap(world: BoardWorld) -> None:
    client = sign_in(Client(), world.recused)
    page = client.get(f"/boards/{world.board.pk}/interests/").content.decode()
    assert "Recent declarations not on your register" in page
    assert "Director of the firm that audits the accounts" in page
    declaration = Declaration.objects.get(user=world.recused)
    assert world.public_item.title not in page  # they are recused from the item; its meeting is shown
    response = client.post(f"/interests/from-declaration/{declaration.pk}/")
    entry = Interest.objects.get(member=world.recused)
    assert response.status_code == 302 and response["Location"] == f"/interests/{entry.pk}/"
    assert entry.description == "Director of the firm that audits the accounts"
    page = client.get(f"/boards/{world.board.pk}/interests/").content.decode()
    assert "Recent declarations not on your register" not in page


def test_nobody_else_can_carry_a_declaration(world: BoardWorld) -> None:
    declaration = Declaration.objects.get(user=world.recused)
    client = sign_in(Client(), world.secretary)
    assert client.post(f"/interests/from-declaration/{declaration.pk}/").status_code == 404
    assert not Interest.objects.exists()


def test_past_declarations_of_another_meeting_prompt_at_the_next(world: BoardWorld) -> None:
    """Carried across meetings: the entry made from a declaration at one meeting asks at the next."""
    declaration = Declaration.objects.get(user=world.recused)
    entry = services.interest_register_declaration(actor=world.recused, declaration=declaration)
    services.interest_update(
        actor=world.recused, interest=entry, description=entry.description, keywords="audit, auditors"
    )
    later = MeetingFactory.create(board=world.board, title="April board meeting", status=MeetingStatus.PUBLISHED)
    item = _item(world, "Appointment of auditors", meeting=later)
    html = _prompts_html(world.recused, later)
    assert f"/items/{item.pk}/declare/" in html and "keyword “auditors”" in html


def test_the_prompt_costs_the_same_queries_for_many_items(world: BoardWorld) -> None:
    """Three queries at most (entries, tags, answers), however long the agenda."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings import selectors as meeting_selectors

    entry = _mill_lane(world)
    assert world.meeting.board  # the meeting page reads its board with the meeting

    def count() -> tuple[int, str]:
        items = meeting_selectors.agenda_for(world.member, world.meeting)
        policy.forget(world.member)
        policy.access_for(world.member)
        with CaptureQueriesContext(connection) as captured:
            html = _prompts_html(world.member, world.meeting, items=items)
        return len(captured.captured_queries), html

    _item(world, "Mill Lane one")
    few, html = count()
    assert html.count("Declare this interest") == 1
    for n in range(20):
        item = _item(world, f"Mill Lane {n}")
        if n % 2:
            services.item_tag(actor=world.secretary, item=item, interest=entry)
    many, html = count()
    assert html.count("Declare this interest") == 21
    assert few == many <= 3, (few, many)

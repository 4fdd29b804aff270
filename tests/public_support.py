"""Shared set-up for the public-site tests: the named-people board with its public site on,
things the public must see (a decision, an approved and answered question) and things it must
never see (a Part B decision, a member's comment, pending and rejected questions, emails)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from documents.models import Comment
from meetings.models import Motion
from public.models import PublicQuestion, QuestionStatus
from tests.conftest import BoardWorld

# Strings that must never appear anywhere on the public site.
SECRET_COMMENT = "Confidential aside: the auditors are unhappy"
PRIVATE_NOTE = "My private note: ask about the reserves policy"
PART_B_DECISION = "That the chief executive's pay rises by 4 per cent"
PART_B_DESCRIPTION = "Salary benchmarking from three comparable trusts"
PENDING_TEXT = "Why is the pending question not published yet?"
REJECTED_TEXT = "This rejected message is rude and off topic."
CITIZEN_EMAIL = "citizen.private@example.net"


@dataclass
class PublicExtras:
    decision: Motion
    part_b_decision: Motion
    approved: PublicQuestion
    pending: PublicQuestion
    rejected: PublicQuestion


def open_to_the_public(world: BoardWorld) -> PublicExtras:
    board = world.board
    board.public_site = True
    board.save(update_fields=["public_site"])
    world.part_b_item.description = PART_B_DESCRIPTION
    world.part_b_item.save(update_fields=["description"])
    now = timezone.now()
    decision = Motion.objects.create(
        item=world.public_item,
        text="That the management accounts to February be received",
        status=Motion.Status.CLOSED,
        closed_at=now,
        result={"counts": {"For": 4, "Against": 1, "Abstain": 0}, "outcome": "carried", "ballots": 5},
    )
    part_b_decision = Motion.objects.create(
        item=world.part_b_item,
        text=PART_B_DECISION,
        status=Motion.Status.CLOSED,
        closed_at=now,
        result={"counts": {"For": 5, "Against": 0, "Abstain": 0}, "outcome": "carried", "ballots": 5},
    )
    Comment.objects.create(item=world.public_item, author=world.member, body=SECRET_COMMENT, client_id=uuid.uuid4())
    # A member's private annotation on the public paper (annotations arrive with issue 5's reader).
    from documents import models as document_models

    annotation = getattr(document_models, "Annotation", None)
    if annotation is not None:
        annotation.objects.create(
            paper=world.public_paper,
            version=world.public_paper.current_version,
            author=world.member,
            kind="note",
            visibility="private",
            page=1,
            body=PRIVATE_NOTE,
            client_id=uuid.uuid4(),
        )

    def question(text: str, status: str, **extra: object) -> PublicQuestion:
        return PublicQuestion.objects.create(
            item=world.public_item, name="Jo Citizen", email=CITIZEN_EMAIL, text=text, status=status, **extra
        )

    return PublicExtras(
        decision=decision,
        part_b_decision=part_b_decision,
        approved=question(
            "Will the library opening hours be protected in the budget?",
            QuestionStatus.APPROVED,
            answer="Yes: the hours stay as they are until at least next April.",
            answered_by=world.secretary,
            answered_at=now,
        ),
        pending=question(PENDING_TEXT, QuestionStatus.PENDING),
        rejected=question(REJECTED_TEXT, QuestionStatus.REJECTED, reason="Abusive"),
    )


def forbidden_strings(world: BoardWorld) -> list[str]:
    """Everything the public must never read: Part B, drafts, comments, emails, unpublished questions."""
    people = [world.chair, world.secretary, world.member, world.recused, world.observer, world.outsider]
    return [
        world.part_b_paper.title,
        PART_B_DESCRIPTION,
        PART_B_DECISION,
        world.draft.title,
        world.other_board.name,
        world.other_meeting.title,
        SECRET_COMMENT,
        PRIVATE_NOTE,
        PENDING_TEXT,
        REJECTED_TEXT,
        CITIZEN_EMAIL,
        "Abusive",
        *[person.email for person in people if person.email],
        f"/papers/{world.public_paper.pk}/pdf",  # the members' download address
    ]

"""factory_boy factories for Boardroom's models."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Purpose


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class BoardFactory(factory.django.DjangoModelFactory[Board]):
    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Board {n}")
    slug = factory.Sequence(lambda n: f"board-{n}")
    organisation = "Example Trust"


class MeetingFactory(factory.django.DjangoModelFactory[Meeting]):
    class Meta:
        model = Meeting

    board = factory.SubFactory(BoardFactory)
    title = factory.Sequence(lambda n: f"Board meeting {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    location = "Committee Room 1"
    status = MeetingStatus.PUBLISHED


class AgendaItemFactory(factory.django.DjangoModelFactory[AgendaItem]):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Item {n}")
    position = factory.Sequence(lambda n: n + 1)
    purpose = Purpose.DISCUSSION
    duration_minutes = 10

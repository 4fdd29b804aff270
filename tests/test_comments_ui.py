"""The @mention suggestions behind the comment box (meetings/mentions.py): only people who may
see the item are offered, and only to someone who may see it (anyone else gets a 404)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.auth import sign_in
from tests.conftest import BoardWorld


def _suggest(world: BoardWorld, who: str, item: Any, q: str = "") -> tuple[int, Any]:
    client = sign_in(Client(), getattr(world, who))
    response = client.get(reverse("mention_suggestions", args=[item.pk]), {"q": q})
    return response.status_code, response.json() if response.status_code == 200 else None


def test_suggests_the_people_who_may_see_the_item_and_leaves_out_the_asker(world: BoardWorld) -> None:
    status, people = _suggest(world, "member", world.public_item)
    assert status == 200
    names = {person["username"] for person in people}
    assert {"chair", "secretary", "observer"} <= names
    assert "member" not in names, "the writer is not offered to themselves"
    # Recused from the item, out of term, or on another board: never offered.
    assert names.isdisjoint({"recused", "former", "future", "outsider", "root"})
    assert all(set(person) == {"username", "name"} for person in people)


def test_part_b_item_offers_no_observer(world: BoardWorld) -> None:
    status, people = _suggest(world, "chair", world.part_b_item)
    assert status == 200
    names = {person["username"] for person in people}
    assert "secretary" in names
    assert "observer" not in names


def test_the_query_narrows_by_username_or_name(world: BoardWorld) -> None:
    world.secretary.first_name, world.secretary.last_name = "David", "Okafor"
    world.secretary.save()
    assert [p["username"] for p in _suggest(world, "member", world.public_item, "sec")[1]] == ["secretary"]
    assert [p["name"] for p in _suggest(world, "member", world.public_item, "@oka")[1]] == ["David Okafor"]
    assert _suggest(world, "member", world.public_item, "nobody-like-this")[1] == []


def test_people_who_may_not_see_the_item_get_404(world: BoardWorld) -> None:
    assert _suggest(world, "recused", world.public_item)[0] == 404
    assert _suggest(world, "observer", world.part_b_item)[0] == 404
    assert _suggest(world, "outsider", world.public_item)[0] == 404
    assert _suggest(world, "former", world.public_item)[0] == 404
    response = Client().get(reverse("mention_suggestions", args=[world.public_item.pk]))
    assert response.status_code == 302, "signed out: to the sign-in page"
    missing = sign_in(Client(), world.chair).get(reverse("mention_suggestions", args=[999999]))
    assert missing.status_code == 404

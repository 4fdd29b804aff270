from boardroom import policy
from boardroom.policy import Action


def test_member_sees_board_and_outsider_does_not(world):
    assert policy.can(world.member, Action.VIEW, world.board)
    assert not policy.can(world.outsider, Action.VIEW, world.board)

"""Writes for boards, memberships, meetings, agendas and live meetings.

Every change users can see goes through one function here: it validates, asks the policy,
writes inside a transaction, and records the audit entry and the live event.
"""

from .agenda import *  # noqa: F403
from .attendance import *  # noqa: F403
from .boards import *  # noqa: F403
from .chair import *  # noqa: F403
from .debate import *  # noqa: F403
from .votes import *  # noqa: F403

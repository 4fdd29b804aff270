"""Boardroom settings.

Every concern reads its own environment variables; with none set, everything runs
embedded (SQLite, in-memory channel layer, files on disk, tasks run in process).
"""

from .base import *  # noqa: F403
from .database import *  # noqa: F403
from .live import *  # noqa: F403
from .mail import *  # noqa: F403
from .security import *  # noqa: F403
from .storage import *  # noqa: F403
from .tasks import *  # noqa: F403

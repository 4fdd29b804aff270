"""Settings for a ``task_worker`` the tests start as a separate process: Boardroom's own settings,
on the test run's database (named in BOARDROOM_TEST_WORKER_DB), with tasks queued in it."""

import os

from boardroom.settings import *  # noqa: F403
from boardroom.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["BOARDROOM_TEST_WORKER_DB"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

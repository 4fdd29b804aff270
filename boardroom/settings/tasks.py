"""Background tasks through the Django Tasks API.

By default tasks run in process as they are enqueued (no service needed). With
BOARDROOM_TASKS=database they are queued in the database and run by
`manage.py db_worker` processes.
"""

from .env import env_int, env_str

if env_str("BOARDROOM_TASKS") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif env_str("BOARDROOM_TASKS") == "thread":  # embedded, after the request: boardroom/thread_tasks.py
    TASKS = {"default": {"BACKEND": "boardroom.thread_tasks.ThreadBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Crash recovery and housekeeping of `manage.py task_worker` (README.md, "Background worker and
# scheduled jobs"): a task whose workers died this many times is failed rather than tried again;
# a task claimed by a worker that keeps no lock (plain db_worker) is trusted this long; finished
# task rows are deleted after this many days (0: kept).
BOARDROOM_TASK_MAX_ATTEMPTS = env_int("BOARDROOM_TASK_MAX_ATTEMPTS", 3)
BOARDROOM_TASK_LEASE_SECONDS = env_int("BOARDROOM_TASK_LEASE_SECONDS", 3600)
BOARDROOM_TASK_RESULT_DAYS = env_int("BOARDROOM_TASK_RESULT_DAYS", 14)

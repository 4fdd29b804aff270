"""Background tasks through the Django Tasks API.

By default tasks run in process as they are enqueued (no service needed). With
BOARDROOM_TASKS=database they are queued in the database and run by
`manage.py db_worker` processes.
"""

from .env import env_str

if env_str("BOARDROOM_TASKS") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif env_str("BOARDROOM_TASKS") == "thread":  # embedded, after the request: boardroom/thread_tasks.py
    TASKS = {"default": {"BACKEND": "boardroom.thread_tasks.ThreadBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

"""Email, and the address Boardroom is reached at (README.md, "Mail and site URL").

SMTP when BOARDROOM_SMTP_HOST is set. Without it, mail is printed to the console in debug mode
(``make run``); outside debug mode it is not sent, and one line per message says so, without
addresses or text (the console backend would put members' addresses and meeting details in the
logs).
"""

from .env import env_bool, env_int, env_str

DEFAULT_FROM_EMAIL = env_str("BOARDROOM_FROM_EMAIL", "Boardroom <boardroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in email, calendar (ICS) files, feeds and canonical URLs are made from this. Production
# must set it: manage.py refuses to run with DEBUG off and DATABASE_URL set until it is
# (boardroom/checks.py), and the web processes warn at start.
BOARDROOM_SITE_URL_SET = bool(env_str("BOARDROOM_SITE_URL"))
BOARDROOM_SITE_URL = env_str("BOARDROOM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

if env_str("BOARDROOM_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("BOARDROOM_SMTP_HOST")
    # 587 with STARTTLS by default; BOARDROOM_SMTP_SSL=1 for implicit TLS (usually port 465).
    EMAIL_USE_SSL = env_bool("BOARDROOM_SMTP_SSL", False)
    EMAIL_USE_TLS = env_bool("BOARDROOM_SMTP_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = env_int("BOARDROOM_SMTP_PORT", 465 if EMAIL_USE_SSL else 587)
    EMAIL_HOST_USER = env_str("BOARDROOM_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("BOARDROOM_SMTP_PASSWORD")
    EMAIL_TIMEOUT = env_int("BOARDROOM_SMTP_TIMEOUT", 20)
elif env_bool("BOARDROOM_DEBUG", False):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "boardroom.mail.UnsentBackend"

"""Email: printed to the console by default; SMTP when BOARDROOM_SMTP_HOST is set."""

from .env import env_bool, env_int, env_str

DEFAULT_FROM_EMAIL = env_str("BOARDROOM_FROM_EMAIL", "Boardroom <boardroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
BOARDROOM_SITE_URL = env_str("BOARDROOM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

if env_str("BOARDROOM_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("BOARDROOM_SMTP_HOST")
    EMAIL_PORT = env_int("BOARDROOM_SMTP_PORT", 587)
    EMAIL_HOST_USER = env_str("BOARDROOM_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("BOARDROOM_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("BOARDROOM_SMTP_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

"""Security: content security policy, sign-in lock-out, two-factor and session limits."""

from csp.constants import NONE, SELF

from .env import env_int, env_str

# No inline script or style anywhere: pages load Boardroom's own files only. 'self' also
# covers the same-origin websocket; S3 presigned URLs are added when a bucket is set.
_S3 = [env_str("S3_ENDPOINT_URL")] if env_str("S3_ENDPOINT_URL") else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, *_S3],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in throttling: five wrong passwords for one username from one address lock that pair
# out for a quarter of an hour (locking by username alone would let anyone lock a member out).
AXES_FAILURE_LIMIT = env_int("BOARDROOM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("BOARDROOM_LOGIN_LOCKOUT_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor authentication (TOTP apps, plus single-use recovery codes).
OTP_TOTP_ISSUER = env_str("BOARDROOM_OTP_ISSUER", "Boardroom")
BOARDROOM_RECOVERY_CODES = 10

# Sessions: an idle limit (each board may set a shorter one) and an absolute lifetime.
BOARDROOM_IDLE_MINUTES = env_int("BOARDROOM_IDLE_MINUTES", 30)
BOARDROOM_SESSION_MAX_AGE = env_int("BOARDROOM_SESSION_MAX_AGE", 12 * 60 * 60)

# The key that seals the audit log (HMAC). Unset: derived from the secret key, which then must
# not change; set it in production and keep it out of the database's backups (README, "The audit log").
BOARDROOM_AUDIT_KEY = env_str("BOARDROOM_AUDIT_KEY")

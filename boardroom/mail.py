"""The mail backend used when no SMTP server is configured outside debug mode."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

logger = logging.getLogger(__name__)


class UnsentBackend(BaseEmailBackend):
    """Sends nothing and says so once per message, naming neither recipients nor subject.

    Printing mail to the console, as debug mode does, would put members' addresses and what the
    mail says about their meetings into the logs (README.md, "Mail and site URL").
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            logger.warning(
                "Mail not sent (%d recipient(s)): no SMTP server is configured (BOARDROOM_SMTP_HOST)",
                len(message.recipients()),
            )
        return 0

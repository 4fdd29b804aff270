from typing import Any

from django.core.management.base import BaseCommand

from meetings.models import Board, Meeting, Notice
from meetings.notices import send_due_board_emails, send_due_emails


class Command(BaseCommand):
    help = "Send the notice emails that have fallen due (run every few minutes from cron, or rely on db_worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        meeting_ids = (
            Notice.objects.filter(emailed_at__isnull=True, meeting__isnull=False)
            .values_list("meeting_id", flat=True)
            .distinct()
        )
        total = 0
        for meeting in Meeting.objects.filter(pk__in=list(meeting_ids)).select_related("board"):
            sent, _ = send_due_emails(meeting)
            total += sent
        # Board notices (written resolutions) have no meeting.
        board_ids = Notice.objects.filter(emailed_at__isnull=True, meeting__isnull=True).values_list("board_id")
        for board in Board.objects.filter(pk__in=board_ids):
            sent, _ = send_due_board_emails(board)
            total += sent
        self.stdout.write(f"Sent {total} email{'s' if total != 1 else ''}.")

from django.core.management.base import BaseCommand
from django.db import transaction

from governance.reminders import outbox, scan


class Command(BaseCommand):
    help = "Create the reminders due today (idempotent); with --send, also send them now."

    def add_arguments(self, parser):
        parser.add_argument("--send", action="store_true", help="send in this process instead of the worker")

    def handle(self, *args, send=False, **options):
        with transaction.atomic():
            offered = scan.scan()
            if not send:
                outbox.enqueue_sending()
        self.stdout.write(", ".join(f"{kind}: {count}" for kind, count in offered.items()))
        if send:
            self.stdout.write(str(outbox.send_due()))

from django.core.management.base import BaseCommand

from usecases.economics import refresh_cost_estimates


class Command(BaseCommand):
    help = "Recompute every use case's stored monthly cost estimate (after an upgrade or a bulk import)."

    def handle(self, *args, **options):
        count = refresh_cost_estimates()
        self.stdout.write(self.style.SUCCESS(f"Cost estimates checked; {count} use cases changed."))

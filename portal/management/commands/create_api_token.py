from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.services import create_api_token


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What the token is for, e.g. 'executive dashboard'.")

    def handle(self, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No active user named {username!r}.") from error
        _token, key = create_api_token(user, name)
        self.stdout.write(key)

from django.core.management.base import BaseCommand, CommandError

from fupin.accounts import actions
from fupin.accounts.models import User
from fupin.core.actor import Actor


class Command(BaseCommand):
    help = "Issue an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="")

    def handle(self, *args, username, label, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        self.stdout.write(actions.create_token(Actor.system(), user, label))

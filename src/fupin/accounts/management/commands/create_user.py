from django.core.management.base import BaseCommand, CommandError

from fupin.accounts import actions, rules
from fupin.areas.models import Unit
from fupin.core.actor import Actor
from fupin.core.errors import ActionError


class Command(BaseCommand):
    help = "Create a user holding one role at one area. Prints the password when it is generated."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(rules.ROLES))
        parser.add_argument("--area", help="12-digit area code (not needed for admin)")
        parser.add_argument("--unit", help="unit name or id")
        parser.add_argument("--password")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args, username, role, area, unit, password, full_name, phone, **options):
        unit_obj = None
        if unit:
            qs = Unit.objects.filter(pk=int(unit)) if unit.isdecimal() else Unit.objects.filter(name=unit)
            if area:
                qs = qs.filter(area_code__startswith=area[:6])
            unit_obj = qs.first()
            if unit_obj is None:
                raise CommandError(f"No unit {unit!r}.")
        try:
            user, pw = actions.create_user(Actor.system(), username=username, role=role, area_code=area,
                                           unit=unit_obj, password=password, full_name=full_name, phone=phone)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"Created {user.username} ({role} @ {area or 'whole country'}).")
        if not password:
            self.stdout.write(f"Password: {pw}")

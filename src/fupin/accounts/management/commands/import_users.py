from django.core.management.base import BaseCommand, CommandError

from fupin.accounts.importers import import_users
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.tabular import write_xlsx


class Command(BaseCommand):
    help = ("Create users from an Excel/CSV file (columns 用户名 姓名 角色 区划代码 单位 手机 职务 初始密码). "
            "All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--passwords", help="write generated passwords to this .xlsx file")

    def handle(self, *args, file, passwords, **options):
        try:
            created, report = import_users(Actor.system(), file)
        except ActionError as exc:
            raise CommandError(str(exc.message)) from None
        if report:
            raise CommandError(f"{len(report)} bad rows; no user was created.\n{report.summary(20)}")
        if passwords:
            write_xlsx(passwords, ["用户名", "初始密码"], created)
        self.stdout.write(f"{len(created)} users created.")

from django.core.management.base import BaseCommand

from yunlou.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create or complete the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<13} {login.name}  {login.phone}")

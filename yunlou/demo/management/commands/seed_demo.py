from django.core.management.base import BaseCommand

from yunlou.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create or complete the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        from yunlou.launch.models import Launch

        logins = seed_demo()
        staff = [login for login in logins if login.role not in ("buyer", "broker")]
        brokers = [login for login in logins if login.role == "broker"]
        buyers = [login for login in logins if login.role == "buyer"]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Staff logins (password for all: {DEMO_PASSWORD}):"))
        for login in staff:
            self.stdout.write(f"  {login.username:<10} {login.role:<13} {login.name}  {login.phone}")
        launch = Launch.objects.order_by("pk").first()
        if buyers and launch is not None:
            self.stdout.write(self.style.SUCCESS(
                f"Pledged buyers for the online launch at /launches/{launch.pk}/ (phone + the SMS code the page "
                "shows in the demo):"))
            for login in buyers:
                self.stdout.write(f"  {login.phone}  {login.name}")
        if brokers:
            self.stdout.write(self.style.SUCCESS("Brokers at /b/ (phone + the SMS code the page shows in the demo):"))
            for login in brokers:
                self.stdout.write(f"  {login.phone}  {login.name}")

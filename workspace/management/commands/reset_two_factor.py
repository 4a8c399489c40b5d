"""Remove a user's authenticator devices and backup codes (a lost phone of the last
superuser)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Setzt die Zwei-Faktor-Anmeldung eines Benutzers zurück (er richtet sie neu ein)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Benutzer „{username}“ gibt es nicht.")
        StaticDevice.objects.filter(user=user).delete()
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"Zwei-Faktor-Anmeldung von {username} zurückgesetzt ({deleted}).")

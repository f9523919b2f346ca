from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Bind a TOTP authenticator to a staff account; prints the secret and otpauth:// link."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace", action="store_true", help="remove the account's existing devices first"
        )

    def handle(self, *args, username, replace, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace.")
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        secret = device.config_url.split("secret=")[1].split("&")[0]
        self.stdout.write(f"Authenticator bound to {username}.")
        self.stdout.write(f"Secret (type into the app): {secret}")
        self.stdout.write(f"Link (or show as a QR code): {device.config_url}")

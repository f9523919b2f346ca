from django.core.management.base import BaseCommand, CommandError

from suggestions.intake.channels import channel_key_create
from suggestions.models import Channel, ChannelKey


class Command(BaseCommand):
    help = (
        "Create an API key for a partner channel and print it (shown once; only its hash is kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name, e.g. wechat-mini-program")
        parser.add_argument(
            "--channel",
            default=Channel.MINI_PROGRAM,
            choices=Channel.values,
            help="Recorded channel",
        )

    def handle(self, *args, name, channel, **options):
        if ChannelKey.objects.filter(name=name).exists():
            raise CommandError(
                f"A key named {name!r} already exists; revoke it in admin or pick another name."
            )
        _key, raw = channel_key_create(name=name, channel=channel)
        self.stdout.write(raw)

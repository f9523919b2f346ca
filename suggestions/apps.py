from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "suggestions"
    verbose_name = _("金点子")

    def ready(self):
        # Every deployment (and a flushed test database) gets the beat schedules.
        post_migrate.connect(_ensure_schedules, sender=self)


def _ensure_schedules(sender, **kwargs):
    from suggestions.common.schedules import schedules_ensure

    schedules_ensure()

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "units"
    verbose_name = _("单位与角色")

    def ready(self):
        # The role groups need the suggestions app's permissions, which exist
        # only once its post_migrate has run; it comes after this app.
        post_migrate.connect(_sync_roles, sender=apps.get_app_config("suggestions"))


def _sync_roles(sender, **kwargs):
    from units.roles import sync_role_groups

    sync_role_groups()

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qadam.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from qadam.core.roles_sync import sync_role_groups

        # Groups and permissions are derived from roles.py after each migrate (not domain logic).
        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="qadam_sync_roles")

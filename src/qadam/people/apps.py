from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "qadam.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from qadam.core.navigation import NavEntry, register

        register(NavEntry(_("Search"), "people:search", "search_person"))
        register(NavEntry(_("Merges"), "people:merge_list", "request_merge"))

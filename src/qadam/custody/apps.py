from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "qadam.custody"
    label = "custody"
    verbose_name = _("Custody")

    def ready(self) -> None:
        from qadam.core import home, navigation
        from qadam.custody.views import home_panels

        navigation.register(
            navigation.NavEntry(_("Institutions"), "custody:institution_list", "view_population")
        )
        navigation.register(
            navigation.NavEntry(_("Population"), "custody:population", "view_population")
        )
        navigation.register(navigation.NavEntry(_("Admit"), "custody:admit", "admit_person"))
        home.register(home_panels)

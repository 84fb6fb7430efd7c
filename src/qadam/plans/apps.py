from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "qadam.plans"
    label = "plans"
    verbose_name = _("Resocialisation plans")

    def ready(self) -> None:
        from qadam.core.navigation import NavEntry, register

        register(NavEntry(_("Overdue reviews"), "plans:overdue_list", "view_plan"))
        self._follow_events()
        from qadam.core import home
        from qadam.plans.home import home_panels

        home.register(home_panels)
        try:
            from qadam.people import sections
        except ImportError:  # the person page's section registry has not landed
            return
        from qadam.plans.person_section import section_context, subject_access

        sections.register(
            sections.PersonSection(
                key="plan",
                title=_("Resocialisation plan"),
                template="plans/person_section.html",
                context=section_context,
                capability="view_plan",
                order=40,
                subject_access=subject_access,
            )
        )

    @staticmethod
    def _follow_events() -> None:
        """Admission and arrival on transfer bring the plan's review forward (see
        `plans.receivers`)."""
        from qadam.custody.signals import movement_recorded
        from qadam.plans import receivers

        movement_recorded.connect(
            receivers.review_after_movement, dispatch_uid="plans.review_after_movement"
        )

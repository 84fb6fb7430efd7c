from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "qadam.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from qadam.core.navigation import NavEntry, register

        register(NavEntry(_("Assessments due"), "assessment:due_list", "view_assessment"))
        # Analysts have no assessment lists; they fit, load and validate the instruments.
        register(
            NavEntry(
                _("Assessment instruments"), "assessment:instrument_list", "validate_instruments"
            )
        )
        self._follow_events()
        from qadam.assessment.home import home_panels
        from qadam.core import home

        home.register(home_panels)
        try:
            from qadam.people import sections
        except ImportError:  # the person page's section registry has not landed
            return
        from qadam.assessment.person_section import section_context, subject_access

        sections.register(
            sections.PersonSection(
                key="assessment",
                title=_("Risk and needs"),
                template="assessment/person_section.html",
                context=section_context,
                capability="view_assessment",
                order=30,
                subject_access=subject_access,
            )
        )

    @staticmethod
    def _follow_events() -> None:
        """Admission, arrival on transfer and the pre-release window bring the reassessment
        forward (see `assessment.receivers`)."""
        from qadam.assessment import receivers
        from qadam.custody.signals import movement_recorded

        movement_recorded.connect(
            receivers.reassessment_after_movement,
            dispatch_uid="assessment.reassessment_after_movement",
        )
        try:
            from qadam.plans.signals import pre_release_window_opened
        except ImportError:  # the plans module is not installed
            return
        pre_release_window_opened.connect(
            receivers.reassessment_before_release,
            dispatch_uid="assessment.reassessment_before_release",
        )

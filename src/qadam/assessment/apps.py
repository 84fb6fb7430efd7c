from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "qadam.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from qadam.core.navigation import NavEntry, register

        register(NavEntry(_("Assessments due"), "assessment:due_list", "view_assessment"))
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

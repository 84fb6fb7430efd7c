from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SentencesConfig(AppConfig):
    name = "qadam.sentences"
    label = "sentences"
    verbose_name = _("Sentences and dates")

    def ready(self) -> None:
        from qadam.core.navigation import NavEntry, register
        from qadam.people import sections
        from qadam.sentences.views import section_context, section_subject_access

        register(NavEntry(_("Worklists"), "sentences:worklists", "view_sentence"))
        register(NavEntry(_("Legislation"), "sentences:recalculation_list", "activate_legislation"))
        sections.register(
            sections.PersonSection(
                key="sentence",
                title=_("Sentence and dates"),
                template="sentences/person_section.html",
                context=section_context,
                capability="view_sentence",
                order=10,
                subject_access=section_subject_access,
            )
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProbationConfig(AppConfig):
    name = "qadam.probation"
    label = "probation"
    verbose_name = _("Probation")

"""The probation service's offices: where a person released from custody is supervised and where
the resocialisation plan continues after release (design.md §1: a probation officer works in one
probation office, of a district). Cases, contacts, violations and agency tasks will hang off the
office as the probation module grows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qadam.core.models import TranslatedName
from qadam.probation.querysets import ProbationOfficeQuerySet


class ProbationOffice(TranslatedName):
    """A probation office (служба пробации / пробация қызметі) of the probation service.

    The real shape is one office per district; the reference data ships one per region's centre
    and administrators add the district offices in the reference-data pages."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="probation_offices",
        verbose_name=_("region"),
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="probation_offices",
        limit_choices_to={"kind": "probation"},
        verbose_name=_("organisation"),
        help_text=_("The probation service the office belongs to (its data controller)."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ProbationOfficeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("probation office")
        verbose_name_plural = _("probation offices")

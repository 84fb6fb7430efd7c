"""Words for what the engine computes: explanations of each item's contribution in the user's
language, names of layers, need areas and bands. The engine gives codes and parameters only."""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from qadam.assessment.engine import Instrument

LAYER_LABELS: dict[str, Promise] = {
    "static": _("Static factors (history; they do not change)"),
    "dynamic": _("Needs the person can work on"),
    "change": _("Progress the person has made"),
}

NEED_AREA_LABELS: dict[str, Promise] = {
    "criminal_history": _("Criminal history"),
    "procriminal_attitudes": _("Pro-criminal attitudes"),
    "procriminal_associates": _("Pro-criminal associates"),
    "antisocial_pattern": _("Antisocial pattern"),
    "family_marital": _("Family and marital"),
    "education_employment": _("Education and employment"),
    "leisure_recreation": _("Leisure and recreation"),
    "substance_use": _("Substance use"),
}

NEED_LEVEL_LABELS: dict[str, Promise] = {
    "none": _("no need"),
    "medium": _("some need"),
    "high": _("high need"),
}


def language() -> str:
    return (get_language() or "kk")[:2]


def item_text(instrument: Instrument, code: str) -> str:
    item = instrument.item(code)
    return item.text.get(language()) if item is not None else code


def option_text(instrument: Instrument, item_code: str, option_code: str) -> str:
    item = instrument.item(item_code)
    option = item.option(option_code) if item is not None else None
    return option.text.get(language()) if option is not None else option_code


def band_text(instrument: Instrument, code: str) -> str:
    for band in instrument.bands:
        if band.code == code:
            return band.text.get(language())
    return code


def _points(value: float) -> str:
    return number_format(int(value) if float(value).is_integer() else round(value, 2))


def explanation(instrument: Instrument, contribution: dict[str, Any]) -> str:
    """The engine's explanation code for one item, in words in the active language."""
    code = contribution["code"]
    points = float(contribution["points"])
    magnitude = abs(points)
    whole = int(magnitude) if magnitude.is_integer() else 2  # plural form of a fraction: "points"
    params = {
        "item": item_text(instrument, contribution["item"]),
        "answer": option_text(instrument, contribution["item"], contribution["option"]),
        "points": _points(magnitude),
        "share": number_format(round(100 * abs(float(contribution["share"])), 1)),
    }
    if code == "raises":
        template = ngettext(
            '%(item)s: "%(answer)s" adds %(points)s point (%(share)s%% of the weight).',
            '%(item)s: "%(answer)s" adds %(points)s points (%(share)s%% of the weight).',
            whole,
        )
    elif code == "lowers":
        template = ngettext(
            '%(item)s: "%(answer)s" takes %(points)s point off the score.',
            '%(item)s: "%(answer)s" takes %(points)s points off the score.',
            whole,
        )
    elif code == "change_made":
        template = ngettext(
            '%(item)s: "%(answer)s" is progress the person has made; it takes %(points)s point '
            "off.",
            '%(item)s: "%(answer)s" is progress the person has made; it takes %(points)s points '
            "off.",
            whole,
        )
    elif code == "change_possible":
        template = str(
            _(
                '%(item)s: "%(answer)s" takes no points off yet; progress here would lower the '
                "score."
            )
        )
    else:
        template = str(_('%(item)s: "%(answer)s" adds no points.'))
    return template % params

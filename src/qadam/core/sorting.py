"""Natural order of names that carry numbers: "Отряд 2" before "Отряд 10"."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"([0-9]+)")

NaturalKey = tuple[tuple[tuple[int, int, str], ...], str]


def natural_key(text: str) -> NaturalKey:
    """A sort key that compares runs of digits by value and the rest case-insensitively.

    "Отряд 1", "Отряд 1а", "Отряд 2", "Отряд 10"; a number sorts before a word at the same place;
    names equal but for case or leading zeros are then ordered by the text itself.
    """
    parts = _DIGITS.split(text.casefold())
    # re.split with a group alternates: text at even places, digits at odd ones.
    pieces = tuple(
        (0, int(part), "") if index % 2 else (1, 0, part)
        for index, part in enumerate(parts)
        if part
    )
    return pieces, text


__all__ = ["NaturalKey", "natural_key"]

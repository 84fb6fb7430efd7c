"""Identity helpers with no Django imports: IIN validation, transliteration, phonetic name keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_check_digit(first_eleven: str) -> int | None:
    """The 12th digit of an IIN, or None when no valid check digit exists for these 11 digits."""
    digits = [int(c) for c in first_eleven]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS_FIRST, strict=True)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, _WEIGHTS_SECOND, strict=True)) % 11
        if total == 10:
            return None
    return total


@dataclass(frozen=True)
class IinFacts:
    birth_date: date
    sex: str  # "M" or "F"


class IinError(ValueError):
    """Why a string is not a valid IIN; `code` names the problem for translated messages."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_iin(iin: str) -> IinFacts:
    """Validate an IIN and return the date of birth and sex it encodes."""
    if not re.fullmatch(r"\d{12}", iin):
        raise IinError("format", "An IIN has exactly 12 digits.")
    century_sex = int(iin[6])
    if century_sex not in range(1, 7):
        raise IinError("century", "The 7th digit of an IIN must be 1 to 6 (century and sex).")
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century_sex]
    try:
        born = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        raise IinError("date", "The first six digits of an IIN must be a date (YYMMDD).") from None
    expected = iin_check_digit(iin[:11])
    if expected is None or expected != int(iin[11]):
        raise IinError("check_digit", "The check digit (12th) does not match the first 11 digits.")
    return IinFacts(birth_date=born, sex="M" if century_sex % 2 == 1 else "F")


def iin_is_valid(iin: str) -> bool:
    try:
        parse_iin(iin)
    except IinError:
        return False
    return True


def make_iin(born: date, sex: str, serial: int) -> str:
    """Build a valid IIN for synthetic data: serial is tried upwards until a check digit exists."""
    century_code = {1800: 1, 1900: 3, 2000: 5}[born.year // 100 * 100] + (0 if sex == "M" else 1)
    while True:
        head = f"{born:%y%m%d}{century_code}{serial % 10000:04d}"
        check = iin_check_digit(head)
        if check is not None:
            return f"{head}{check}"
        serial += 1


_CYRILLIC_TO_LATIN = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "і": "i",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def transliterate(text: str) -> str:
    """Kazakh or Russian Cyrillic to Latin letters (passport-style), keeping capitalisation."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        latin = _CYRILLIC_TO_LATIN.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


_LATIN_SPELLING_VARIANTS = (
    ("shch", "s"),
    ("zh", "j"),
    ("dj", "j"),
    ("kh", "h"),
    ("ts", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("yu", "u"),
    ("ya", "a"),
    ("yo", "o"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("ph", "f"),
    ("y", "i"),
)


def name_key(name: str) -> str:
    """A phonetic key equal for the usual kk/ru spellings and Latin transliterations of a name.

    The first letter is kept, vowels after it dropped, similar consonants folded, doubled letters
    collapsed: Жанибеков, Жәнібеков, Zhanibekov and Janibekov all give "jnbkv".
    """
    latin = transliterate(name.strip().lower())
    latin = re.sub(r"[^a-z]", "", latin)
    for spelling, folded in _LATIN_SPELLING_VARIANTS:
        latin = latin.replace(spelling, folded)
    if not latin:
        return ""
    head, tail = latin[0], latin[1:]
    if head in "aeiou":
        head = "a"
    tail = re.sub(r"[aeiou]", "", tail)
    key = head + tail
    return re.sub(r"(.)\1+", r"\1", key)

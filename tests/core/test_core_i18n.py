"""The kk, ru and en catalogues are complete, current, compiled, and really translated."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

APP_DIR = Path(settings.BASE_DIR)
LOCALE = APP_DIR / "locale"

# kk/ru entries that may equal the English source: names, codes and symbols.
SAME_AS_SOURCE_ALLOWED = {
    "Qadam",
    "IIN",
    "ID",
    "CSV",
    "XLSX",
    "JSON",
    "PDF",
    "API",
    "TOTP",
    "QR",
    "NPM",
    "SIZO",
    "MIN",
    "MED",
    "MAX",
    "FULL",
    "EXTRA",
    "OK",
    "AUC",
    "Brier",
    "ECE",
    "%(name)s",
    "m²",
}


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def _is_symbolic(text: str) -> bool:
    """Placeholders, numbers and punctuation only: nothing to translate."""
    stripped = re.sub(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}", "", text)
    return not re.search(r"[A-Za-z]{2,}", stripped)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language: str) -> None:
    catalogue = _catalogue(language)
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, (
        f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    )
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kk_and_ru_entries_differ_from_the_english_source(language: str) -> None:
    same = [
        e.msgid
        for e in _catalogue(language)
        if not e.msgid_plural
        and e.msgstr == e.msgid
        and e.msgid not in SAME_AS_SOURCE_ALLOWED
        and not _is_symbolic(e.msgid)
    ]
    assert not same, f"{language}: {len(same)} entries identical to English, e.g. {same[:5]}"


def test_catalogues_are_current_with_the_source(tmp_path: Path) -> None:
    """Every translatable string in the code is in the catalogue (makemessages was run)."""
    copy = tmp_path / "qadam"
    shutil.copytree(APP_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    (copy / "locale").mkdir()
    django_admin = Path(settings.PROJECT_DIR) / ".venv" / "bin" / "django-admin"
    subprocess.run(
        [str(django_admin), "makemessages", "-l", "kk", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale/kk/LC_MESSAGES/django.po"))}
    ours = {e.msgid for e in _catalogue("kk")}
    missing = sorted(extracted - ours)
    assert not missing, (
        f"{len(missing)} strings are not in the catalogues; run "
        f"`.venv/bin/python scripts/messages.py` and translate them: {missing[:5]}"
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "Басты бет"),
        ("ru", "Главная"),
        ("en", "Home"),
    ],
)
def test_compiled_catalogues_are_used(language: str, expected: str) -> None:
    with translation.override(language):
        assert translation.gettext("Home") == expected


def test_django_form_messages_are_kazakh() -> None:
    """Django's own Kazakh catalogue lacks these; the project's catalogue supplies them."""
    with translation.override("kk"):
        message = translation.gettext("Enter a valid integer.")
    assert message != "Enter a valid integer."


@pytest.mark.parametrize(
    ("language", "day", "when", "number"),
    [
        ("kk", "23.11.2026", "23.11.2026 14:05", "12\xa0345,5"),
        ("ru", "23.11.2026", "23.11.2026 14:05", "12\xa0345,5"),
        # Day before month in English too (Django's American default would read 11/04 as November).
        ("en", "23.11.2026", "23.11.2026 14:05", "12,345.5"),
    ],
)
def test_dates_and_numbers_are_formatted_per_language(
    language: str, day: str, when: str, number: str
) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.utils import formats, translation

    with translation.override(language):
        assert formats.date_format(dt.date(2026, 11, 23), "SHORT_DATE_FORMAT") == day
        assert (
            formats.date_format(dt.datetime(2026, 11, 23, 14, 5), "SHORT_DATETIME_FORMAT") == when
        )
        assert formats.number_format(Decimal("12345.5"), use_l10n=True, force_grouping=True) == (
            number
        )


def test_english_long_dates_put_the_day_first_and_read_day_month_input() -> None:
    import datetime as dt

    from django import forms
    from django.utils import formats, translation

    with translation.override("en"):
        assert formats.date_format(dt.date(2026, 9, 18)) == "18 Sep 2026"
        field = forms.DateField()
        assert field.clean("04.11.2026") == dt.date(2026, 11, 4)
        assert field.clean("2026-11-04") == dt.date(2026, 11, 4)

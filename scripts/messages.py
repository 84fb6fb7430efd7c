"""Refresh the kk/ru/en message catalogues from the source and report what is left to translate.

    .venv/bin/python scripts/messages.py          # extract, fill English, report
    .venv/bin/python scripts/messages.py --check  # only report; exit 1 if anything is missing

English msgstr are the msgids (the source language); kk and ru are translated by people.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "src" / "qadam"
LANGUAGES = ("kk", "ru", "en")


def extract() -> None:
    args = [str(ROOT / ".venv" / "bin" / "django-admin"), "makemessages", "--no-obsolete",
            "--ignore=static/*", "--add-location=file"]
    for language in LANGUAGES:
        args += ["-l", language]
    subprocess.run(args, cwd=APP_DIR, check=True)


def fill_english() -> None:
    path = APP_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.save(str(path))


def report() -> int:
    missing = 0
    for language in ("kk", "ru"):
        catalogue = polib.pofile(str(APP_DIR / "locale" / language / "LC_MESSAGES" / "django.po"))
        untranslated = len(catalogue.untranslated_entries())
        fuzzy = len(catalogue.fuzzy_entries())
        print(f"{language}: {len(catalogue)} entries, {untranslated} untranslated, {fuzzy} fuzzy")
        missing += untranslated + fuzzy
    return missing


if __name__ == "__main__":
    if "--check" not in sys.argv:
        extract()
        fill_english()
    sys.exit(1 if report() and "--check" in sys.argv else 0)

"""Load the shipped default instrument (qadam-core 1.0.0), validated by the engine's schema."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations


def load_default(apps: Any, schema_editor: Any) -> None:
    import tomllib

    from qadam.assessment.engine import parse_instrument
    from qadam.assessment.instruments import DEFAULT_INSTRUMENT

    text = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
    parsed = parse_instrument(tomllib.loads(text), origin=str(DEFAULT_INSTRUMENT))
    Instrument = apps.get_model("assessment", "Instrument")
    Instrument.objects.get_or_create(
        code=parsed.code,
        version=parsed.version,
        defaults={
            "valid_from": parsed.valid_from,
            "valid_to": parsed.valid_to,
            "definition": text,
            "definition_sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(load_default, migrations.RunPython.noop)]

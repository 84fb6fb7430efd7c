import tomllib
from pathlib import Path

from django.db import migrations

TYPES = Path(__file__).resolve().parent.parent / "reference" / "institution_types.toml"


def forwards(apps, schema_editor):
    institution_type = apps.get_model("custody", "InstitutionType")
    with TYPES.open("rb") as handle:
        rows = tomllib.load(handle)["type"]
    for row in rows:
        institution_type.objects.update_or_create(code=row["code"], defaults={
            "rank": row["rank"], "is_pretrial": row.get("is_pretrial", False),
            "is_mixed": row.get("is_mixed", False), "name_kk": row["name_kk"],
            "name_ru": row["name_ru"], "name_en": row["name_en"]})


class Migration(migrations.Migration):
    dependencies = [("custody", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

from django.db import migrations

from qadam.core.reference import load_offences, load_regions


def forwards(apps, schema_editor):
    load_regions(apps)
    load_offences(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

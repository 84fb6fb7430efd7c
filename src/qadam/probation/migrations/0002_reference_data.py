from django.db import migrations

from qadam.probation.reference import load_offices


def forwards(apps, schema_editor):
    load_offices(apps)


class Migration(migrations.Migration):
    dependencies = [("probation", "0001_initial"), ("plans", "0002_reference_data")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

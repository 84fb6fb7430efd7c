from django.db import migrations

from qadam.plans.reference import load_reference


def forwards(apps, schema_editor):
    load_reference(apps)


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

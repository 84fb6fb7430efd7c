from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_lawful_until"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["surname_key", "first_name_key"], name="person_name_keys_idx"
            ),
        ),
    ]

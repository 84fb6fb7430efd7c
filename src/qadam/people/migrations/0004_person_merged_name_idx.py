from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_person_name_keys_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(merged_into__isnull=False),
                fields=["surname_key"],
                name="person_merged_name_idx",
            ),
        ),
    ]

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the table against writes (follow-ups are recorded all day).
    atomic = False

    dependencies = [
        ("procedures", "0002_seed_catalogue"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="followup",
            index=models.Index(
                fields=["status", "due_date", "id"], name="follow_up_status_due_idx"
            ),
        ),
    ]

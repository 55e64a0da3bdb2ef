# The access log is the largest table and every page writes to it: the index is built
# concurrently, so adding it does not hold those writes up.

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0003_alter_accesslog_action"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="accesslog",
            index=models.Index(
                condition=models.Q(("action", "break_glass")),
                fields=["actor", "patient_code", "-at"],
                name="accesslog_break_glass",
            ),
        ),
    ]

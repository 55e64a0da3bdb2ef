# The actor's own index is covered by `accesslog_actor_at`, which starts with the actor. Only the
# index is dropped, concurrently: Django's own AlterField would also drop and re-create the
# foreign key, checking millions of rows while every page that writes the log waits.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "audit_accesslog_actor_id_0f94aef1"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0004_accesslog_break_glass_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="accesslog",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="access_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"',
                    reverse_sql=(
                        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{INDEX}" '
                        'ON "audit_accesslog" ("actor_id")'
                    ),
                ),
            ],
        ),
    ]

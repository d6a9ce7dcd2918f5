"""Every hour, lapse export requests nobody approved and files nobody fetched in time
(created if absent); the files are removed."""

from django.db import migrations
from django.utils import timezone

NAME = "expire_exports"
FUNC = "ocr.tasks.expire_exports_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    # Idempotent: an operator may have created or retimed it already; leave theirs alone.
    if not Schedule.objects.filter(name=NAME).exists():
        Schedule.objects.create(
            name=NAME,
            func=FUNC,
            schedule_type="H",  # Schedule.HOURLY
            repeats=-1,
            next_run=timezone.now(),
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME, func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ocr", "0010_exports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

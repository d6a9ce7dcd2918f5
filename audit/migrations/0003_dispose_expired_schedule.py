"""The daily disposal run, scheduled in django-q2 at 02:00 Tokyo time (created if absent)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

NAME = "dispose_expired"
FUNC = "ocr.tasks.dispose_expired_task"


def next_two_am() -> datetime:
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime.now(tokyo)
    run = datetime.combine(now.date(), time(2, 0), tzinfo=tokyo)
    return run if run > now else run + timedelta(days=1)


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    # Idempotent: an operator may have created or retimed it already; leave theirs alone.
    if not Schedule.objects.filter(name=NAME).exists():
        Schedule.objects.create(
            name=NAME,
            func=FUNC,
            schedule_type="D",  # Schedule.DAILY; Tokyo has no DST, so it stays at 02:00.
            repeats=-1,
            next_run=next_two_am(),
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME, func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_disposal_record"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

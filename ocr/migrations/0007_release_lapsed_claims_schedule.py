"""Every 5 minutes, give back to the queue the documents whose claim lapsed (created if absent).

次へ takes a lapsed claim over by itself; the sweep keeps the counts of 確認中 honest and
closes the clerk's session as lapsed.
"""

from django.db import migrations
from django.utils import timezone

NAME = "release_lapsed_claims"
FUNC = "ocr.tasks.release_lapsed_claims_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    # Idempotent: an operator may have created or retimed it already; leave theirs alone.
    if not Schedule.objects.filter(name=NAME).exists():
        Schedule.objects.create(
            name=NAME,
            func=FUNC,
            schedule_type="I",  # Schedule.MINUTES
            minutes=5,
            repeats=-1,
            next_run=timezone.now(),
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME, func=FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ocr", "0006_verification_queue"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

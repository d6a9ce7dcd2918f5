"""The default manual keying rates (their reasoning: ``forms_catalog.models.KeyingRate``).

Frozen here as they were shipped; ``DEFAULT_RATES`` in the models says the same (a test
checks). A rate an administrator already set is left as it is.
"""

from django.db import migrations

# kind -> (seconds per character, seconds per field)
RATES = {
    "text_ja": (1.2, 2.0),
    "katakana": (0.8, 2.0),
    "corporate_number": (0.4, 2.0),
    "digits": (0.4, 2.0),
    "amount": (0.4, 2.0),
    "postal_code": (0.4, 2.0),
    "phone": (0.4, 2.0),
    "date": (0.4, 2.0),
    "wareki_date": (0.4, 2.0),
    "mynumber": (0.8, 2.0),
    "checkbox": (0.0, 1.0),
    "choice": (0.0, 1.0),
}


def add_rates(apps, schema_editor):
    KeyingRate = apps.get_model("forms_catalog", "KeyingRate")
    for kind, (per_character, per_field) in RATES.items():
        KeyingRate.objects.get_or_create(
            kind=kind,
            defaults={"seconds_per_character": per_character, "seconds_per_field": per_field},
        )


class Migration(migrations.Migration):
    dependencies = [("forms_catalog", "0005_keying_rates_and_metrics_right")]

    operations = [migrations.RunPython(add_rates, migrations.RunPython.noop)]

from django.apps import AppConfig


class LabConfig(AppConfig):
    """No models: the app is installed for its management commands."""

    name = "lab"

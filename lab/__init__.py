"""Tools for generating, training and evaluating, above the apps and never imported by them.

- ``synthetic``: the filled-form generator (fictional households, real handwriting, scanner).
- ``digit_data``: the handwritten-digit sets and their train / calibration / evaluation split.
- ``evaluation``: scoring the reading pipeline on generated forms (``manage.py evaluate``).
- ``management.commands``: ``evaluate``, ``generate_samples`` and ``seed_demo``.

An app of its own (``lab.apps.LabConfig``) only so that ``manage.py`` finds those commands:
it has no models, admin or URLs. ``tests/test_layers.py`` keeps the apps from importing it.
"""

"""Imports run one way: yomitoru < forms_catalog < audit < ocr < lab.

Each app may import the apps below it, never one above: ``yomitoru`` (settings, lib, security)
at the bottom, then what a form is (``forms_catalog``), who did what (``audit``), what was
scanned and read (``ocr``); ``lab`` (generating, training, evaluating) sits above them all and
no app imports it. An app above hands what a lower one needs down through a registration
(``yomitoru.admin_site.register_home_panel``, ``audit.lookup.register_finder``, ...).

Every import statement of every .py file of each app is read with ``ast``, wherever it stands
(module level, inside a function, under ``if TYPE_CHECKING:``): none is exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LAYERS = ("yomitoru", "forms_catalog", "audit", "ocr", "lab")
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def imported_packages(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in TREE."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def upward_imports(app: str) -> list[str]:
    """``path:line imports PACKAGE`` for each import by APP of an app above it."""
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, package in imported_packages(tree):
            if RANK.get(package, -1) > RANK[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    return wrong


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_no_app_imports_an_app_above_it(app: str) -> None:
    assert upward_imports(app) == []


def test_every_app_of_the_project_has_its_layer() -> None:
    """A new app of this repository gets a place in LAYERS before it can import anything."""
    local = {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT.resolve()
    }
    assert local == set(LAYERS)


def test_the_check_sees_an_upward_import() -> None:
    source = "from ocr.models import Document\n\ndef f():\n    import lab.digit_data\n"
    assert imported_packages(ast.parse(source)) == [(1, "ocr"), (4, "lab")]
    assert imported_packages(ast.parse("from . import models\nfrom .x import y\n")) == []

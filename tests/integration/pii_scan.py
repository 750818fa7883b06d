"""Search every table a deployment writes, shipflow's and the engine's (DBOS), for values: every
text, JSON and binary column, each value also base64-decoded (DBOS stores pickles in base64),
case-insensitively. What a person with database access could find."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Iterable

import sqlalchemy as sa

from shipflow.engine.durable import engine_database_url
from shipflow.store.db import driver_url, is_sqlite

TEXTUAL = (sa.String, sa.Text, sa.JSON, sa.LargeBinary, sa.types.NullType)


def _forms(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return [raw.decode("utf-8", "replace")]
    if isinstance(value, (dict, list)):
        return [json.dumps(value, ensure_ascii=False), json.dumps(value)]
    text = str(value)
    forms = [text]
    try:
        forms.append(base64.b64decode(text, validate=True).decode("utf-8", "replace"))
    except (binascii.Error, ValueError):
        pass
    return forms


def _databases(database_url: str) -> list[tuple[str, str | None]]:
    engine_url = engine_database_url(database_url)
    if is_sqlite(database_url):
        return [(driver_url(database_url), None), (engine_url, None)]
    return [(driver_url(database_url), None), (engine_url, "dbos")]


def findable(database_url: str, needles: Iterable[str]) -> dict[str, list[str]]:
    """{needle: ["table.column", ...]} for every needle found anywhere."""
    wanted = [n for n in needles if n]
    found: dict[str, list[str]] = {}
    for url, schema in _databases(database_url):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            metadata = sa.MetaData()
            metadata.reflect(engine, schema=schema)
            with engine.connect() as conn:
                for table in metadata.tables.values():
                    columns = [c for c in table.c if isinstance(c.type, TEXTUAL)]
                    if not columns:
                        continue
                    for row in conn.execute(sa.select(*columns)):
                        for column, value in zip(columns, row, strict=True):
                            text = "\n".join(_forms(value)).casefold()
                            for needle in wanted:
                                if needle.casefold() in text:
                                    where = f"{table.name}.{column.name}"
                                    if where not in found.setdefault(needle, []):
                                        found[needle].append(where)
        finally:
            engine.dispose()
    return found


def count_rows(database_url: str, table: str, where: str = "") -> int:
    engine = sa.create_engine(driver_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one())
    finally:
        engine.dispose()

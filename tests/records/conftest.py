"""Stores to test against: a SQLite file in tmp_path, and a real PostgreSQL server.

PostgreSQL comes from ``RIG_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://rig@127.0.0.1:5432/rig_test``; .ci/run starts Debian's server and sets
it). Each test gets a schema of its own on that server (``search_path`` in the URL), dropped
afterwards, so tests never see each other's runs. No server there: the PostgreSQL tests skip,
saying where they looked, unless ``RIG_TEST_POSTGRES_REQUIRED`` is set (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
import sqlalchemy as sa

from rig.records import safe_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://rig@127.0.0.1:5432/rig_test"


def postgres_base_url() -> str:
    return os.environ.get("RIG_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


@cache
def _postgres_problem() -> str | None:
    url = postgres_base_url()
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"no PostgreSQL server usable at {safe_url(url)} ({first[0] if first else exc})"
    return None


def need_postgres() -> str:
    """The base URL, or skip (fail under RIG_TEST_POSTGRES_REQUIRED) naming the problem."""
    problem = _postgres_problem()
    if problem:
        hint = "; set RIG_TEST_POSTGRES_URL, or run .ci/run, which starts one"
        if os.environ.get("RIG_TEST_POSTGRES_REQUIRED"):
            pytest.fail(problem + " (RIG_TEST_POSTGRES_REQUIRED is set)")
        pytest.skip(problem + hint)
    return postgres_base_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of the test server whose tables land in a fresh schema of this test only."""
    base = need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'reports' / 'records.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on both databases."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)

"""Secrets (issue 8): a password in the record store's URL is never stored or shown.

A real plan run records into PostgreSQL through a URL with a password
(``RIG_TEST_POSTGRES_SECRET_URL``: .ci/run creates the role), given on the command line as a
careless user would. Then every output of the run is searched for the password: stdout and
stderr, the verdicts file, the reports folder (transcript, logs), the Allure results, the lock
files, every row of every table of the store, and what ``rig runs`` and ``rig report`` print
and write. Without that server the test skips (fails in CI, like the other PostgreSQL tests).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rig.cli import main
from rig.locks import RigLock
from rig.redact import redact, redact_mapping
from tests.plan.runner import run_plan
from tests.records.conftest import need_postgres

SECRET_ENV = "RIG_TEST_POSTGRES_SECRET_URL"


def test_redact_masks_every_password_form():
    assert redact("pytest --records postgresql+psycopg://rig:s3@db/r -q") == (
        "pytest --records postgresql+psycopg://rig:***@db/r -q")
    assert redact("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"  # unencoded @
    assert redact("host=db password=s3 dbname=x") == "host=db password=*** dbname=x"
    assert redact("sqlite:///reports/records.sqlite") == "sqlite:///reports/records.sqlite"
    # the charger's OCPP password (security profiles 1, 2) given with --charger-set
    assert redact("--charger-set ocpp.authorization_key=Abc123 --charger-set a.b=1") == (
        "--charger-set ocpp.authorization_key=*** --charger-set a.b=1")
    assert redact('{"ocpp.authorization_key": "Abc\\"123", "a.b": "x"}') == (
        '{"ocpp.authorization_key": "***", "a.b": "x"}')
    assert redact_mapping({"ocpp.authorization_key": "Abc123", "timing.x": 0.1}) == {
        "ocpp.authorization_key": "***", "timing.x": 0.1}


@pytest.fixture
def secret_url() -> Iterator[tuple[str, str, str, str]]:
    """(URL with the password, the password) into a fresh schema of this test."""
    base = need_postgres()
    url = os.environ.get(SECRET_ENV)
    if not url:
        message = f"{SECRET_ENV} not set (.ci/run sets it: a role with a password to grep for)"
        if os.environ.get("RIG_TEST_POSTGRES_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    secret = sa.make_url(url).password
    assert secret and len(secret) >= 8, "the test needs a password no output has by chance"
    schema = f"s_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False), str(secret), schema, base
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _store_text(url: str, schema: str) -> str:
    """Every row of every table of the run's schema, as text (read as the run's role)."""
    engine = sa.create_engine(url)
    out = []
    try:
        with engine.connect() as conn:
            tables = [r[0] for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                (schema,))]
            assert "runs" in tables and "measurements" in tables
            for table in tables:
                rows = conn.exec_driver_sql(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                out.extend(repr(tuple(row)) for row in rows)
    finally:
        engine.dispose()
    return "\n".join(out)


def test_a_password_in_the_records_url_is_in_no_output_of_the_run(tmp_path, secret_url,
                                                                   monkeypatch, capsys):
    url, secret, schema, _ = secret_url
    locks = tmp_path / "locks"
    run = run_plan(tmp_path, "--records", url, "--alluredir", str(tmp_path / "allure"),
                   modules=("test_timing.py",))
    assert run.returncode == 0, run.output
    assert run.verdicts["summary"]["verdict"] == "PASS"
    shown = sa.make_url(url).render_as_string(hide_password=True)
    assert f"in {shown}" in run.output  # the store was used, and named without the password

    outputs = {"stdout/stderr": run.output.encode()}
    outputs.update(_files(tmp_path))  # verdicts, reports dir, allure results
    assert any("allure" in p.parts for p in outputs if isinstance(p, Path))
    stored = _store_text(url, schema)
    assert "--records 'postgresql+psycopg://rig_secret:***@" in stored  # the command line
    outputs["records store"] = stored.encode()

    monkeypatch.setenv("RIG_RECORDS_URL", url)  # the variable, as a lab's shell sets it
    assert main(["runs"]) == 0
    report = tmp_path / "out" / "report.html"
    assert main(["report", "--out", str(report)]) == 0
    printed = capsys.readouterr()
    outputs["rig runs / rig report"] = (printed.out + printed.err).encode()
    outputs[report] = report.read_bytes()
    assert b"rig_secret:***@" in outputs[report]  # the cover's command line, masked

    # a lock file lives while its run holds the rig (the in-process bench needs none): one
    # taken by a process whose command line has the URL, and `rig lock list` showing it
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "pytest", "--records", url])
    monkeypatch.setenv("RIG_LOCK_DIR", str(locks))
    lock = RigLock({"visa:TCPIP0::192.0.2.1::INSTR": "ev"}, locks).acquire()
    try:
        outputs.update(_files(locks))
        assert main(["lock", "list"]) == 0
        listed = capsys.readouterr().out
    finally:
        lock.release()
    assert "--records 'postgresql+psycopg://rig_secret:***@" in listed
    outputs["rig lock list"] = listed.encode()
    assert any(p.parent == locks for p in outputs if isinstance(p, Path))

    leaks = [str(where) for where, content in outputs.items() if secret.encode() in content]
    assert not leaks, f"the password is in: {leaks}"

"""The tables of the record store (SQLAlchemy Core, one schema for SQLite and PostgreSQL).

Times are wall-clock seconds since the epoch (``time.time()``, UTC) as double precision, the
same numbers as in the verdicts file and the transcript; ``bench_time`` is rig time (the bench
clock on the emulator). Every row of a run points at ``runs.id``; logs are append-only. JSON
columns are ``JSONB`` on PostgreSQL (queryable) and JSON text on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

#: Bumped when a table changes incompatibly; a store written by a newer schema is refused.
#: 2: ``eol_attempts`` (the production station's unit attempts). A version-1 store is read as
#: it is; opening it with this rig adds the table and stamps it 2 (a rig that only knows 1
#: then refuses it clearly instead of missing the station's records).
SCHEMA_VERSION = 2

RUN_STATUSES = ("running", "complete", "interrupted", "failed")
VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN")

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
Time = sa.Double  # epoch seconds (wall) or rig seconds (bench)

metadata = sa.MetaData()


def _run_fk() -> sa.Column:
    return sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    )


meta = sa.Table(
    "records_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("started", Time, nullable=False),
    sa.Column("finished", Time),  # NULL: the run never finished (killed): incomplete
    sa.Column("status", sa.String(16), nullable=False, server_default="running"),
    sa.Column("plan", sa.Text),
    sa.Column("catalogue", sa.Text),  # path of requirements.yaml
    sa.Column("rig_env", sa.Text),  # the labgrid environment (rig) file
    sa.Column("target", sa.String(128)),
    sa.Column("place", sa.String(128)),  # labgrid place (remote rigs)
    sa.Column("operator", sa.String(128)),
    sa.Column("host", sa.String(255)),
    sa.Column("command_line", sa.Text),
    sa.Column("charger_serial", sa.String(64)),
    sa.Column("charger_firmware", sa.String(64)),
    sa.Column("overrides", JSON),  # emulator profile overrides {key: value}
    sa.Column("profile_file", sa.Text),
    sa.Column("calibration_note", sa.Text),  # e.g. instruments run past their due date
    sa.Column("clock", sa.String(32)),
    sa.Column("bench_waited_s", sa.Double),
    sa.Column("summary", JSON),  # {"PASS": n, ..., "verdict": ...} written at the end
    sa.Column("notes", JSON),  # list of strings
    sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in RUN_STATUSES) + ")", name="run_status"
    ),
)
sa.Index("ix_runs_started", runs.c.started)

instruments = sa.Table(
    "instruments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("model", sa.String(64)),  # driver model of the rig file
    sa.Column("resource", sa.Text),  # VISA resource string
    sa.Column("vendor", sa.String(128)),  # from *IDN?
    sa.Column("idn_model", sa.String(128)),
    sa.Column("serial", sa.String(128)),
    sa.Column("firmware", sa.String(128)),
    sa.Column("calibration_due", sa.Date),
    sa.Column("accuracy", JSON),
    sa.Column("idn_error", sa.Text),
    sa.UniqueConstraint("run_id", "role", name="uq_instrument_role"),
)

measurements = sa.Table(
    "measurements", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("requirement", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    # value: finite numbers; text_value: bool/str values and nan/inf (value_kind says which)
    sa.Column("value_kind", sa.String(8), nullable=False),  # number | bool | text | none
    sa.Column("value", sa.Double),
    sa.Column("text_value", sa.Text),
    sa.Column("unit", sa.String(32)),
    sa.Column("low", sa.Double),
    sa.Column("high", sa.Double),
    sa.Column("expected", JSON),  # an exact expected value (Limit.equals)
    sa.Column("uncertainty", sa.Double),
    sa.Column("decision_rule", sa.String(16)),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("bench_time", Time),
    sa.Column("wall_time", Time, nullable=False),
    sa.Column("test", sa.Text),  # pytest node id
    sa.Column("note", sa.Text),
    sa.Column("data", JSON),
)
sa.Index("ix_measurements_run", measurements.c.run_id)
sa.Index("ix_measurements_trend", measurements.c.requirement, measurements.c.name)

outcomes = sa.Table(
    "outcomes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("requirement", sa.String(32), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),  # ERROR | NOT_RUN
    sa.Column("reason", sa.Text),
    sa.Column("test", sa.Text),
    sa.Column("wall_time", Time, nullable=False),
)
sa.Index("ix_outcomes_run", outcomes.c.run_id)

requirements = sa.Table(
    "requirements", metadata,
    _run_fk(),
    sa.Column("requirement", sa.String(32), nullable=False),
    sa.Column("position", sa.Integer),  # order of the catalogue
    sa.Column("title", sa.Text),
    sa.Column("clause", sa.Text),
    sa.Column("source", sa.String(64)),
    sa.Column("confirm", sa.Boolean),
    sa.Column("decision_rule", sa.String(16)),
    # NULL until the run finishes; the read API derives it for an unfinished run
    sa.Column("verdict", sa.String(16)),
    sa.Column("complete", sa.Boolean),
    sa.Column("tests", JSON),
    sa.Column("reasons", JSON),
    sa.PrimaryKeyConstraint("run_id", "requirement"),
)

transcripts = sa.Table(
    "transcripts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("wall_time", Time, nullable=False),
    sa.Column("instrument", sa.String(64), nullable=False),
    sa.Column("direction", sa.String(1), nullable=False),  # ">" sent, "<" received
    sa.Column("text", sa.Text, nullable=False),
)
sa.Index("ix_transcripts_run", transcripts.c.run_id)

console_log = sa.Table(
    "console_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("wall_time", Time, nullable=False),
    sa.Column("console", sa.String(64)),
    sa.Column("direction", sa.String(1), nullable=False),
    sa.Column("line", sa.Text, nullable=False),
)
sa.Index("ix_console_log_run", console_log.c.run_id)

can_log = sa.Table(
    "can_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("wall_time", Time, nullable=False),
    sa.Column("bus", sa.String(64)),
    sa.Column("arbitration_id", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
sa.Index("ix_can_log_run", can_log.c.run_id)

ocpp_log = sa.Table(
    "ocpp_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("wall_time", Time, nullable=False),
    sa.Column("direction", sa.String(8)),  # "in" from the charger, "out" to it
    sa.Column("charge_point", sa.String(128)),
    sa.Column("message_type", sa.String(16)),  # CALL | CALLRESULT | CALLERROR
    sa.Column("action", sa.String(64)),
    sa.Column("unique_id", sa.String(64)),
    sa.Column("payload", JSON),
)
sa.Index("ix_ocpp_log_run", ocpp_log.c.run_id)

artefacts = sa.Table(
    "artefacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    sa.Column("requirement", sa.String(32)),
    sa.Column("test", sa.Text),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("mime_type", sa.String(128), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created", Time, nullable=False),
)
sa.Index("ix_artefacts_run", artefacts.c.run_id)

#: Every attempt of a unit at an end-of-line station (``rig eol``), forever: passed, failed,
#: refused (label mismatch, already passed, sent to repair) or not judged (rig error), who and
#: where, and the plan run that measured it (``run_id``; NULL when nothing was run).
EOL_OUTCOMES = ("PASS", "FAIL", "ERROR", "REFUSED")
eol_attempts = sa.Table(
    "eol_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("serial", sa.String(64), nullable=False),  # the label (what was scanned)
    sa.Column("station", sa.String(128), nullable=False),
    sa.Column("fixture", sa.String(128)),
    sa.Column("operator", sa.String(128)),
    sa.Column("firmware", sa.String(64)),  # what the charger reported (NULL: never asked)
    sa.Column("charger_serial", sa.String(64)),  # what the charger reported
    sa.Column("started", Time, nullable=False),
    sa.Column("finished", Time),
    sa.Column("attempt", sa.Integer, nullable=False),  # 1 = first test of this serial
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("disposition", sa.String(16)),  # passed | retest | repair | refused | rig_error
    sa.Column("failing", JSON),  # requirement ids that FAILed (or ERRORed)
    sa.Column("reason", sa.Text),  # in plain words, as the operator saw it
    sa.Column("override_by", sa.String(128)),  # the supervisor who let a refused unit in
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("bench_s", sa.Double),  # rig time the unit took
    sa.Column("wall_s", sa.Double),
    sa.Column("label", JSON),  # what the printer was given / why it could not print
    sa.CheckConstraint(
        "outcome IN (" + ", ".join(f"'{o}'" for o in EOL_OUTCOMES) + ")", name="eol_outcome"
    ),
)
sa.Index("ix_eol_attempts_serial", eol_attempts.c.serial)
sa.Index("ix_eol_attempts_started", eol_attempts.c.started)

#: Log tables whose rows may be buffered between commits (see RecordStore.flush).
LOG_TABLES = (transcripts, console_log, can_log, ocpp_log)

"""Bring an existing database up to the current schema: columns added since it was made, the
audit chain's head row, the triggers that make the audit log append-only, and those that count
every change to the tables the dashboard shows figures from.

``create_all`` makes new tables but never changes an existing one; this runs right after it,
in the same transaction (``data.db.make_engine``), and does nothing on a current database.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from data import db

# Columns added after the first release: table -> (column, DDL type and default).
ADDED_COLUMNS = {
    "users": [("actief", "BOOLEAN NOT NULL DEFAULT TRUE")],
    "audit_log": [
        ("volgnummer", "INTEGER"),
        ("vorige_hash", "VARCHAR(64)"),
        ("hash", "VARCHAR(64)"),
    ],
    # A stage's own start, for interventions rolled out in stages.
    "intervention_buurten": [("start", "DATE")],
    # The release a recorded count first went out in, the first one that left it out
    # (indicators.versions), and the indeling it was released on.
    "releases": [("van", "INTEGER"), ("tot", "INTEGER"), ("indeling_jaar", "INTEGER")],
}
REFUSED = "Het auditlog is alleen-toevoegen: rijen wijzigen of verwijderen kan niet."

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN (SELECT purge FROM audit_head WHERE id = 1) IS NOT 1
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
)
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION wijkmonitor_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND (SELECT purge FROM audit_head WHERE id = 1) = 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSED}';
END $$"""
_PG_TRIGGERS = {
    "audit_log_append_only": "BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW",
    "audit_log_no_truncate": "BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT",
}


# Tables the dashboard shows figures from: every insert, update, delete (and truncate) of them
# moves the counter in data_changes, in the same transaction (data.meta.data_version). Not the
# stored publications, users, logins or the audit log: writing those changes no figure.
VERSIONED = (
    "areas",
    "address_buurten",
    "signals",
    "deliveries",
    "findings",
    "interventions",
    "intervention_buurten",
    "import_log",
    "regions",
    "region_gemeenten",
)
SQLITE_COUNTED = ("UPDATE", "DELETE")
_COUNT = "UPDATE data_changes SET teller = teller + 1 WHERE id = 1"
_PG_COUNT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION wijkmonitor_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_COUNT};
    RETURN NULL;
END $$"""


def upgrade(conn: Connection) -> None:
    """Add missing columns, the audit head row, seal unchained audit rows, add the triggers."""
    _add_columns(conn)
    # create_all skips the indexes of tables that already exist: add any new ones (after the
    # columns they are on).
    for table in db.metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    from data.access.audit import ensure_head, seal_unchained

    ensure_head(conn)
    seal_unchained(conn)  # before the triggers: sealing writes the hash into old rows
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        _pg_triggers(conn)
    _change_counter(conn)


def _change_counter(conn: Connection) -> None:
    """The counter row and its triggers. On PostgreSQL once per statement, before it changes a
    row, so that concurrent writers queue at their first change instead of deadlocking on the
    counter. SQLite has only row triggers (and one writer at a time): there they count updates
    and deletes, and new rows show in the tables' highest rowid (``data.meta.data_version``),
    since a trigger per inserted row made imports 70 % slower (1,9 -> 3,4 s per 100.000 rows).
    """
    if conn.exec_driver_sql("SELECT COUNT(*) FROM data_changes WHERE id = 1").scalar() == 0:
        conn.exec_driver_sql("INSERT INTO data_changes (id, teller) VALUES (1, 0)")
    if conn.dialect.name == "sqlite":
        for table in VERSIONED:
            for operation in SQLITE_COUNTED:
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_{operation.lower()}_telt "
                    f"AFTER {operation} ON {table} BEGIN {_COUNT}; END"
                )
    elif conn.dialect.name == "postgresql":
        existing = {
            str(row[0])
            for row in conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        }
        missing = [t for t in VERSIONED if f"{t}_telt" not in existing]
        if missing:
            conn.exec_driver_sql(_PG_COUNT_FUNCTION)
        for table in missing:
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_telt BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION wijkmonitor_data_changed()"
            )


def _add_columns(conn: Connection) -> None:
    inspector = inspect(conn)
    for table, columns in ADDED_COLUMNS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        for name, ddl in columns:
            if name not in present:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}")


def _pg_triggers(conn: Connection) -> None:
    existing = {
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass"
        )
    }
    if set(_PG_TRIGGERS) <= existing:
        return
    conn.exec_driver_sql(_PG_FUNCTION)
    for name, when in _PG_TRIGGERS.items():
        if name not in existing:
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION wijkmonitor_audit_append_only()"
            )

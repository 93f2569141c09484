"""Bring an existing database up to the current schema: columns added since it was made, the
audit chain's head row, and the triggers that make the audit log append-only.

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

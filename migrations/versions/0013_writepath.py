"""writepath: a token that changes with every change to points, wards, retired codes or questionnaires

Revision ID: 0013_writepath
Revises: 0012_rollups
Create Date: 2026-12-01 23:00:00

The citizen path keeps points and questionnaires in each worker's memory (survey/services/lookups.py) and reads
this one row per request to know whether its copy is still right. Triggers on the four tables the lookups read
set a new random token in the same transaction as any INSERT, UPDATE or DELETE (and TRUNCATE on PostgreSQL),
whatever wrote it: a service, a command, a test or SQL typed by hand. A random token rather than a counter, so a
restored backup or a recreated database never repeats a token that a worker holds for other data.

The table is global on purpose (no organisation_id): a bare citizen address (/s/mc-1) is resolved across every
ward's points, so a change in any ward can change what another ward's address opens. For Citus it is a reference
table (one row, written only when an office changes a point).

SQLite drops a table's triggers with the table: a later batch migration that rebuilds one of these tables must
create its triggers again (tests/test_lookups.py checks they are there at the head).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_writepath'
down_revision = '0012_rollups'
branch_labels = None
depends_on = None

TABLES = ('service_points', 'organisations', 'retired_codes', 'questionnaires')
EVENTS = ('insert', 'update', 'delete')

SQLITE_BUMP = ("INSERT INTO cache_versions (name, token) VALUES ('citizen', random()) "
               "ON CONFLICT (name) DO UPDATE SET token = excluded.token")
PG_FUNCTION = """
CREATE FUNCTION hailong_bump_citizen_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_versions (name, token)
    VALUES ('citizen', floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (name) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.create_table('cache_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f'CREATE TRIGGER tr_{table}_citizen_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                       f'ON {table} FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_citizen_cache()')
        op.execute("INSERT INTO cache_versions (name, token) "
                   "VALUES ('citizen', floor(random() * 9007199254740991)::bigint)")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f'CREATE TRIGGER tr_{table}_citizen_cache_{event} AFTER {event.upper()} ON {table} '
                           f'BEGIN {SQLITE_BUMP}; END')
        op.execute("INSERT INTO cache_versions (name, token) VALUES ('citizen', random())")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP TRIGGER tr_{table}_citizen_cache ON {table}')
        op.execute('DROP FUNCTION hailong_bump_citizen_cache()')
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f'DROP TRIGGER tr_{table}_citizen_cache_{event}')
    op.drop_table('cache_versions')

"""province snapshots: the province roll-up stored per (province, period, kind), and a token of response changes

Revision ID: 0014_province_snapshots
Revises: 0013_writepath
Create Date: 2026-12-02 03:00:00

One new table, `province_snapshots`: the roll-up page's figures as JSON, refreshed by `hailong worker` (or
`hailong province refresh`) instead of being computed on each visit. organisation_id is nullable and NULL for these
rows: a province's roll-up spans every ward of its province and belongs to none (as `report_jobs` rows of
province scope and a province account's users.organisation_id).

A second row of `cache_versions`, 'figures', takes a new random token whenever a stored response is deleted
(erasure, retention, TRUNCATE) or changes a column the figures are counted from (flagged, ward, point, day,
questionnaire, masks), whatever wrote it. New responses need no trigger (the freshness check counts them by id,
see survey/services/province_snapshots.py), so the citizen's INSERT path is untouched; an UPDATE that changes none
of those columns (a comment marked handled) fires nothing on PostgreSQL (row trigger with WHEN) and nothing on
SQLite (same WHEN).

SQLite drops a table's triggers with the table: a later batch migration that rebuilds `responses` must create
these triggers again (tests/tenancy/test_province_snapshots.py checks they are there at the head).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_province_snapshots'
down_revision = '0013_writepath'
branch_labels = None
depends_on = None

#: The columns of `responses` the rollups count from: changing any of them changes some ward's figures.
COUNTED = ('flagged', 'organisation_id', 'point_id', 'day_key', 'questionnaire_id', 'sat_mask', 'valid_mask')

SQLITE_BUMP = ("INSERT INTO cache_versions (name, token) VALUES ('figures', random()) "
               "ON CONFLICT (name) DO UPDATE SET token = excluded.token")
PG_FUNCTION = """
CREATE FUNCTION hailong_bump_figures_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_versions (name, token)
    VALUES ('figures', floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (name) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$
"""


def _changed(distinct: str) -> str:
    return ' OR '.join(f'OLD.{c} {distinct} NEW.{c}' for c in COUNTED)


def upgrade():
    op.create_table('province_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('province', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('onestop', 'health', 'education')", name=op.f('ck_province_snapshots_kind')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_province_snapshots_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_province_snapshots')),
    sa.UniqueConstraint('province', 'period', 'kind', name='uq_province_snapshots_scope')
    )
    with op.batch_alter_table('province_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_province_snapshots_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute('CREATE TRIGGER tr_responses_figures_delete AFTER DELETE OR TRUNCATE ON responses '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_figures_cache()')
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE ON responses FOR EACH ROW '
                   f'WHEN ({_changed("IS DISTINCT FROM")}) EXECUTE FUNCTION hailong_bump_figures_cache()')
        op.execute("INSERT INTO cache_versions (name, token) "
                   "VALUES ('figures', floor(random() * 9007199254740991)::bigint)")
    else:
        op.execute(f'CREATE TRIGGER tr_responses_figures_delete AFTER DELETE ON responses '
                   f'BEGIN {SQLITE_BUMP}; END')
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE OF {", ".join(COUNTED)} ON responses '
                   f'WHEN {_changed("IS NOT")} BEGIN {SQLITE_BUMP}; END')
        op.execute("INSERT INTO cache_versions (name, token) VALUES ('figures', random())")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER tr_responses_figures_update ON responses')
        op.execute('DROP TRIGGER tr_responses_figures_delete ON responses')
        op.execute('DROP FUNCTION hailong_bump_figures_cache()')
    else:
        op.execute('DROP TRIGGER tr_responses_figures_update')
        op.execute('DROP TRIGGER tr_responses_figures_delete')
    op.execute("DELETE FROM cache_versions WHERE name = 'figures'")
    with op.batch_alter_table('province_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_province_snapshots_organisation_id'))

    op.drop_table('province_snapshots')

"""ward_figures: the 'figures' token per ward; form_page_counts' primary key leads with the ward

Revision ID: 0017_ward_figures
Revises: 0016_ward_report_jobs
Create Date: 2026-12-02 09:00:00

`figures_tokens (organisation_id → token)` replaces the one global 'figures' row of `cache_versions`
(0014_province_snapshots): the triggers on `responses` now give a new random token only to the ward whose response
was deleted or changed a counted column (both wards when a response changes ward; every ward on TRUNCATE), so a
flag in one ward no longer makes every ward's kept rollup pieces, report files and the province's stored figures
stale. Existing wards get a token here; a ward without a row reads 0 until one of its responses changes (the
trigger inserts its row). Keyed by the ward, it is a distributed table colocated with `responses` in the Citus plan
(README). The triggers' names are 0014's; on PostgreSQL the DELETE trigger runs once per statement and reads the
deleted rows' wards from its transition table, so a retention purge writes each ward's token once.

`form_page_counts` gets the primary key (organisation_id, point_id, questionnaire_id, day_key, page), as Citus needs
(its rows are unchanged: a point belongs to one ward), and loses `ix_form_page_counts_organisation_id`, which the
key now covers. SQLite rebuilds that table (it has no triggers); `responses` and the tables of 0013_writepath are
not rebuilt, so their triggers stay.

Going down restores 0014's global row and triggers, drops `figures_tokens` and puts the old key and index back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_ward_figures'
down_revision = '0016_ward_report_jobs'
branch_labels = None
depends_on = None

#: The columns of `responses` the rollups count from (as 0014_province_snapshots).
COUNTED = ('flagged', 'organisation_id', 'point_id', 'day_key', 'questionnaire_id', 'sat_mask', 'valid_mask')
#: Tokens are drawn below 2^52, so summing a province's (readers compare the sum) never overflows a BIGINT.
PG_RANDOM = 'floor(random() * 4503599627370496)::bigint'
SQLITE_RANDOM = 'abs(random() % 4503599627370496)'
UPSERT = 'ON CONFLICT (organisation_id) DO UPDATE SET token = excluded.token'

PG_UPDATED = f"""
CREATE FUNCTION hailong_bump_ward_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO figures_tokens (organisation_id, token) VALUES (NEW.organisation_id, {PG_RANDOM}) {UPSERT};
    IF OLD.organisation_id IS DISTINCT FROM NEW.organisation_id THEN
        INSERT INTO figures_tokens (organisation_id, token) VALUES (OLD.organisation_id, {PG_RANDOM}) {UPSERT};
    END IF;
    RETURN NULL;
END
$$
"""
# DELETE: the wards of the deleted rows (transition table `gone`), in id order; TRUNCATE: every ward.
PG_REMOVED = f"""
CREATE FUNCTION hailong_bump_wards_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO figures_tokens (organisation_id, token)
        SELECT id, {PG_RANDOM} FROM organisations ORDER BY id {UPSERT};
    ELSE
        INSERT INTO figures_tokens (organisation_id, token)
        SELECT organisation_id, {PG_RANDOM} FROM (SELECT DISTINCT organisation_id FROM gone) AS wards
        ORDER BY organisation_id {UPSERT};
    END IF;
    RETURN NULL;
END
$$
"""


def _sqlite_bump(ward: str, where: str = 'true') -> str:
    # SELECT … WHERE rather than VALUES: the WHERE lets SQLite parse the upsert after a SELECT.
    return f'INSERT INTO figures_tokens (organisation_id, token) SELECT {ward}, {SQLITE_RANDOM} WHERE {where} {UPSERT}'


def _changed(distinct: str) -> str:
    return ' OR '.join(f'OLD.{c} {distinct} NEW.{c}' for c in COUNTED)


def upgrade():
    op.create_table('figures_tokens',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_figures_tokens_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_figures_tokens'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER tr_responses_figures_update ON responses')
        op.execute('DROP TRIGGER tr_responses_figures_delete ON responses')
        op.execute('DROP FUNCTION hailong_bump_figures_cache()')
        op.execute(f'INSERT INTO figures_tokens (organisation_id, token) SELECT id, {PG_RANDOM} FROM organisations')
        op.execute(PG_UPDATED)
        op.execute(PG_REMOVED)
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE ON responses FOR EACH ROW '
                   f'WHEN ({_changed("IS DISTINCT FROM")}) EXECUTE FUNCTION hailong_bump_ward_figures()')
        op.execute('CREATE TRIGGER tr_responses_figures_delete AFTER DELETE ON responses REFERENCING OLD TABLE AS gone '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_wards_figures()')
        op.execute('CREATE TRIGGER tr_responses_figures_truncate AFTER TRUNCATE ON responses '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_wards_figures()')
    else:
        op.execute('DROP TRIGGER tr_responses_figures_update')
        op.execute('DROP TRIGGER tr_responses_figures_delete')
        op.execute(f'INSERT INTO figures_tokens (organisation_id, token) SELECT id, {SQLITE_RANDOM} FROM organisations')
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE OF {", ".join(COUNTED)} ON responses '
                   f'WHEN {_changed("IS NOT")} BEGIN {_sqlite_bump("NEW.organisation_id")}; '
                   f'{_sqlite_bump("OLD.organisation_id", "OLD.organisation_id IS NOT NEW.organisation_id")}; END')
        op.execute(f'CREATE TRIGGER tr_responses_figures_delete AFTER DELETE ON responses '
                   f'BEGIN {_sqlite_bump("OLD.organisation_id")}; END')
    op.execute("DELETE FROM cache_versions WHERE name = 'figures'")

    with op.batch_alter_table('form_page_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_page_counts_organisation_id'))
    _page_counts_key(['organisation_id', 'point_id', 'questionnaire_id', 'day_key', 'page'])


def downgrade():
    _page_counts_key(['point_id', 'questionnaire_id', 'day_key', 'page'])
    with op.batch_alter_table('form_page_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_page_counts_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER tr_responses_figures_truncate ON responses')
        op.execute('DROP TRIGGER tr_responses_figures_delete ON responses')
        op.execute('DROP TRIGGER tr_responses_figures_update ON responses')
        op.execute('DROP FUNCTION hailong_bump_wards_figures()')
        op.execute('DROP FUNCTION hailong_bump_ward_figures()')
        # 0014_province_snapshots' function and triggers, as they were.
        op.execute("""
CREATE FUNCTION hailong_bump_figures_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_versions (name, token)
    VALUES ('figures', floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (name) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$
""")
        op.execute('CREATE TRIGGER tr_responses_figures_delete AFTER DELETE OR TRUNCATE ON responses '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_figures_cache()')
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE ON responses FOR EACH ROW '
                   f'WHEN ({_changed("IS DISTINCT FROM")}) EXECUTE FUNCTION hailong_bump_figures_cache()')
        op.execute("INSERT INTO cache_versions (name, token) "
                   "VALUES ('figures', floor(random() * 9007199254740991)::bigint)")
    else:
        op.execute('DROP TRIGGER tr_responses_figures_delete')
        op.execute('DROP TRIGGER tr_responses_figures_update')
        bump = ("INSERT INTO cache_versions (name, token) VALUES ('figures', random()) "
                "ON CONFLICT (name) DO UPDATE SET token = excluded.token")
        op.execute(f'CREATE TRIGGER tr_responses_figures_delete AFTER DELETE ON responses BEGIN {bump}; END')
        op.execute(f'CREATE TRIGGER tr_responses_figures_update AFTER UPDATE OF {", ".join(COUNTED)} ON responses '
                   f'WHEN {_changed("IS NOT")} BEGIN {bump}; END')
        op.execute("INSERT INTO cache_versions (name, token) VALUES ('figures', random())")
    op.drop_table('figures_tokens')


def _page_counts_key(columns):
    """Replace form_page_counts' primary key (PostgreSQL alters it in place; SQLite copies the table)."""
    with op.batch_alter_table('form_page_counts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('pk_form_page_counts'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_form_page_counts'), columns)

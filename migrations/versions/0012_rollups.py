"""rollups: the ward on responses and answers, ward-led counting indexes, exact per-day and per-month rollups

Revision ID: 0012_rollups
Revises: 0011_report_jobs
Create Date: 2026-12-01 23:00:00

`responses.organisation_id` and `answers.organisation_id` are copied from the point (as answers already copy
the point and day), backfilled here; the counting indexes lead with them. `answer_rollups` and
`pattern_rollups` are built from the existing rows with the same GROUP BY as services.rollups.rebuild
(day rows, then month rows keyed yyyymm00).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_rollups'
down_revision = '0011_report_jobs'
branch_labels = None
depends_on = None


def _backfill(table):
    """Copy each row's ward from its point (UPDATE ... FROM on PostgreSQL: one hash join, not a subquery a row)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"UPDATE {table} SET organisation_id = service_points.organisation_id FROM service_points "
                   f"WHERE service_points.id = {table}.point_id")
    else:
        op.execute(f"UPDATE {table} SET organisation_id = (SELECT service_points.organisation_id "
                   f"FROM service_points WHERE service_points.id = {table}.point_id)")


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    _backfill('responses')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])
        batch_op.drop_index('ix_responses_patterns')
        batch_op.create_index('ix_responses_patterns', ['organisation_id', 'day_key', 'questionnaire_id', 'flagged',
                                                        'sat_mask', 'valid_mask', 'point_id', 'verified'],
                              unique=False)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    _backfill('answers')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_answers_count')
        batch_op.create_index('ix_answers_count', ['organisation_id', 'question_id', 'value', 'day_key', 'excluded',
                                                   'point_id'], unique=False)

    op.create_table('answer_rollups',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('day_key', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_answer_rollups_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', 'day_key', 'question_id', 'value', name=op.f('pk_answer_rollups'))
    )
    op.create_table('pattern_rollups',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('day_key', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('sat_mask', sa.BigInteger(), nullable=False),
    sa.Column('valid_mask', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_pattern_rollups_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', 'day_key', 'questionnaire_id', 'sat_mask', 'valid_mask',
                            name=op.f('pk_pattern_rollups'))
    )
    # Day rows, then month rows (day_key - day_key % 100 = yyyymm00), counting what the indices count.
    for day in ('day_key', 'day_key - day_key % 100'):
        op.execute(f"INSERT INTO answer_rollups (organisation_id, day_key, question_id, value, n) "
                   f"SELECT organisation_id, {day}, question_id, value, COUNT(*) FROM answers "
                   f"WHERE excluded = false GROUP BY organisation_id, {day}, question_id, value")
        op.execute(f"INSERT INTO pattern_rollups (organisation_id, day_key, questionnaire_id, sat_mask, valid_mask, n) "
                   f"SELECT organisation_id, {day}, questionnaire_id, sat_mask, valid_mask, COUNT(*) FROM responses "
                   f"WHERE flagged = false GROUP BY organisation_id, {day}, questionnaire_id, sat_mask, valid_mask")


def downgrade():
    op.drop_table('pattern_rollups')
    op.drop_table('answer_rollups')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_count')
        batch_op.create_index('ix_answers_count', ['question_id', 'value', 'day_key', 'excluded', 'point_id'],
                              unique=False)
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_patterns')
        batch_op.create_index('ix_responses_patterns', ['questionnaire_id', 'flagged', 'sat_mask', 'valid_mask',
                                                        'day_key', 'point_id', 'verified'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_responses_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('organisation_id')

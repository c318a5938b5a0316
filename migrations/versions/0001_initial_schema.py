"""initial schema: wards, service points, questionnaires, responses and their answers, tokens, accounts, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-27 03:40:12.614039

Constraint and index names are spelled out as the naming convention in survey/extensions.py gives them
(op.f() keeps a name as written). tests/test_migrations.py checks that the migrated schema matches the models.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=80), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    )
    op.create_index(op.f('ix_audit_events_at'), 'audit_events', ['at'], unique=False)

    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('province', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('code', name=op.f('uq_organisations_code')),
    )
    op.create_table(
        'questionnaires',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('checksum', sa.String(length=32), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
        sa.UniqueConstraint('kind', 'version', name=op.f('uq_questionnaires_kind')),
    )
    op.create_table(
        'settings',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_settings')),
    )
    # failed_logins and locked_until are replaced by login_throttles in 0002_accounts_sessions.
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'reviewer', 'viewer')", name=op.f('ck_users_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('username', name=op.f('uq_users_username')),
    )
    op.create_table(
        'questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('bit', sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'],
                                name=op.f('fk_questions_questionnaire_id_questionnaires')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
        sa.UniqueConstraint('questionnaire_id', 'code', name=op.f('uq_questions_questionnaire_id')),
    )
    op.create_table(
        'service_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('onestop', 'health', 'education')", name=op.f('ck_service_points_kind')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_service_points_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_points')),
        sa.UniqueConstraint('code', name=op.f('uq_service_points_code')),
    )
    op.create_index(op.f('ix_service_points_unit'), 'service_points', ['unit'], unique=False)

    op.create_table(
        'responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day_key', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('submission_key', sa.String(length=64), nullable=False),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.Column('flag_reason', sa.String(length=200), nullable=True),
        sa.Column('sat_mask', sa.BigInteger(), nullable=False),
        sa.Column('valid_mask', sa.BigInteger(), nullable=False),
        sa.Column('comment_handled', sa.Boolean(), nullable=False),
        sa.Column('comment_note', sa.String(length=500), nullable=True),
        sa.CheckConstraint("channel IN ('qr', 'paper', 'kiosk', 'import')", name=op.f('ck_responses_channel')),
        sa.ForeignKeyConstraint(['point_id'], ['service_points.id'],
                                name=op.f('fk_responses_point_id_service_points')),
        sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'],
                                name=op.f('fk_responses_questionnaire_id_questionnaires')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
        sa.UniqueConstraint('submission_key', name=op.f('uq_responses_submission_key')),
    )
    op.create_index('ix_responses_period', 'responses', ['day_key', 'point_id'], unique=False)
    # Covers the indices' pattern count (survey/models.py, Submission).
    op.create_index('ix_responses_patterns', 'responses',
                    ['questionnaire_id', 'flagged', 'sat_mask', 'valid_mask', 'day_key', 'point_id', 'verified'],
                    unique=False)

    op.create_table(
        'retired_codes',
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['point_id'], ['service_points.id'],
                                name=op.f('fk_retired_codes_point_id_service_points')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_retired_codes')),
    )
    op.create_table(
        'answers',
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.SmallInteger(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('day_key', sa.Integer(), nullable=False),
        sa.Column('excluded', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions')),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', 'question_id', 'value', name=op.f('pk_answers')),
    )
    op.create_index('ix_answers_count', 'answers', ['question_id', 'value', 'day_key', 'excluded', 'point_id'],
                    unique=False)

    op.create_table(
        'tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_tokens_point_id_service_points')),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_tokens_response_id_responses')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_tokens_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('tokens')
    op.drop_index('ix_answers_count', table_name='answers')
    op.drop_table('answers')
    op.drop_table('retired_codes')
    op.drop_index('ix_responses_patterns', table_name='responses')
    op.drop_index('ix_responses_period', table_name='responses')
    op.drop_table('responses')
    op.drop_index(op.f('ix_service_points_unit'), table_name='service_points')
    op.drop_table('service_points')
    op.drop_table('questions')
    op.drop_table('users')
    op.drop_table('settings')
    op.drop_table('questionnaires')
    op.drop_table('organisations')
    op.drop_index(op.f('ix_audit_events_at'), table_name='audit_events')
    op.drop_table('audit_events')

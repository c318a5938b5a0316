"""form drafts: a paged form's answers between pages, and per-day page counts for the office's funnel

Revision ID: 0007_form_drafts
Revises: 0002_accounts_sessions
Create Date: 2026-12-03 10:00:00

Two new tables, each with its ward. `form_drafts` holds a citizen's unsent answers for a day at most
(services.drafts deletes a draft when its form is sent and purges it HAILONG_DRAFT_HOURS after its last change);
`form_page_counts` keeps only counts (forms that reached a page, forms sent from it) per day, point, version and
page. Nothing existing changes, so the downgrade only drops the two tables.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_form_drafts'
down_revision = '0008_paper'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('page', sa.SmallInteger(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('day_key', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_form_drafts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'],
                            name=op.f('fk_form_drafts_point_id_service_points')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'],
                            name=op.f('fk_form_drafts_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_drafts')),
    sa.UniqueConstraint('form_key', name=op.f('uq_form_drafts_form_key'))
    )
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_drafts_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_drafts_updated_at'), ['updated_at'], unique=False)

    op.create_table('form_page_counts',
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('day_key', sa.Integer(), nullable=False),
    sa.Column('page', sa.SmallInteger(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_form_page_counts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'],
                            name=op.f('fk_form_page_counts_point_id_service_points')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'],
                            name=op.f('fk_form_page_counts_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('point_id', 'questionnaire_id', 'day_key', 'page', name=op.f('pk_form_page_counts'))
    )
    with op.batch_alter_table('form_page_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_page_counts_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('form_page_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_page_counts_organisation_id'))

    op.drop_table('form_page_counts')
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_drafts_updated_at'))
        batch_op.drop_index(batch_op.f('ix_form_drafts_organisation_id'))

    op.drop_table('form_drafts')

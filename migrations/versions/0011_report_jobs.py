"""report jobs: the province report and province-wide export made by `hailong worker` (RQ) off the request

Revision ID: 0011_report_jobs
Revises: 0010_kiosk
Create Date: 2026-12-01 23:00:00

One new table. organisation_id is nullable: a province's job spans every ward of its province and belongs to none
(as a province account's users.organisation_id); a ward's job carries its ward.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_report_jobs'
down_revision = '0010_kiosk'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('province', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('service_kind', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('province_report_pdf', 'province_export_csv')", name=op.f('ck_report_jobs_kind')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_report_jobs_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_report_jobs_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_report_jobs_requested_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_jobs'))
    )
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_jobs_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_report_jobs_province_created', ['province', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_report_jobs_province_created')
        batch_op.drop_index(batch_op.f('ix_report_jobs_organisation_id'))

    op.drop_table('report_jobs')

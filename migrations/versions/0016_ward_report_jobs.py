"""ward_report_jobs: a ward's own period report as a background job

Revision ID: 0016_ward_report_jobs
Revises: 0015_tokens_ward
Create Date: 2026-12-02 06:15:00

`report_jobs` takes a third kind, 'ward_report_pdf' (the ward's report built by `hailong worker`, its ward in
organisation_id), and two columns: `officer_annex` (the report with the annex per officer, seen only by the ward's
admins; false for every existing row) and `data_mark` (what the file was made from, services.ward_reports.mark;
NULL for the province's jobs). Going down deletes the ward report jobs' rows (their files stay in the instance
folder) before narrowing the kinds again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_ward_report_jobs'
down_revision = '0015_tokens_ward'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('province_report_pdf', 'province_export_csv')"
NEW_KINDS = "kind IN ('province_report_pdf', 'province_export_csv', 'ward_report_pdf')"


def upgrade():
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer_annex', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('data_mark', sa.String(length=120), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_report_jobs_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_report_jobs_kind'), NEW_KINDS)
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.alter_column('officer_annex', existing_type=sa.Boolean(), server_default=None)


def downgrade():
    op.execute("DELETE FROM report_jobs WHERE kind = 'ward_report_pdf'")
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_jobs_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_report_jobs_kind'), OLD_KINDS)
        batch_op.drop_column('data_mark')
        batch_op.drop_column('officer_annex')

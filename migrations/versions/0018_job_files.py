"""job_files: a finished job's file is kept for a limited time; the row says when it went and why

Revision ID: 0018_job_files
Revises: 0017_ward_figures
Create Date: 2026-12-03 09:00:00

`report_jobs` takes `file_deleted_at` and `file_deleted_reason` ('expired': its retention period ended, deleted by
`hailong jobs prune` or the worker's own pruning; 'missing': found gone from the instance folder), both NULL for
every existing row: its file is still kept, and the first prune deletes the expired ones. The partial index
`ix_report_jobs_kept_files` holds only the rows whose file is kept, so pruning reads a retention period's worth
of rows, never the whole history. Going down drops them; the rows of deleted files then look done again, and
their downloads answer as for a file that vanished (nothing is restored).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_job_files'
down_revision = '0017_ward_figures'
branch_labels = None
depends_on = None

KEPT_FILE = "file_path IS NOT NULL AND file_deleted_at IS NULL"


def upgrade():
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('file_deleted_reason', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_report_jobs_file_deleted_reason'),
                                         "file_deleted_reason IN ('expired', 'missing')")
    op.create_index('ix_report_jobs_kept_files', 'report_jobs', ['finished_at'], unique=False,
                    sqlite_where=sa.text(KEPT_FILE), postgresql_where=sa.text(KEPT_FILE))


def downgrade():
    op.drop_index('ix_report_jobs_kept_files', table_name='report_jobs')
    with op.batch_alter_table('report_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_jobs_file_deleted_reason'), type_='check')
        batch_op.drop_column('file_deleted_reason')
        batch_op.drop_column('file_deleted_at')

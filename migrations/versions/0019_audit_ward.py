"""audit_ward: audit events indexed by ward and id, for the public page's freshness per ward

Revision ID: 0019_audit_ward
Revises: 0018_job_files
Create Date: 2026-12-04 09:00:00

The public page's freshness probe (services.publication.probe) reads the newest audit event of its own ward, no
longer of every ward: a flag in one ward no longer makes every other ward's page stale. `ix_audit_events_ward`
(organisation_id, id) gives that newest id from the end of the ward's range (one index page) whatever the other
wards logged. It replaces `ix_audit_events_organisation_id` (0009_tenancy), whose lookups it serves as well. Going
down puts the old index back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_audit_ward'
down_revision = '0018_job_files'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_ward', 'audit_events', ['organisation_id', 'id'], unique=False)
    op.drop_index('ix_audit_events_organisation_id', table_name='audit_events')


def downgrade():
    op.create_index('ix_audit_events_organisation_id', 'audit_events', ['organisation_id'], unique=False)
    op.drop_index('ix_audit_events_ward', table_name='audit_events')

"""public: what each ward publishes on /cong-khai, and the shared copy of its published figures

Revision ID: 0006_public
Revises: 0002_accounts_sessions
Create Date: 2026-12-12 09:00:00

public_settings holds one row per (ward, kind) that an admin has set; no row means the kind is not published, so
an upgraded or fresh database publishes nothing until an admin (or `hailong init --demo`) turns it on.
public_snapshots is a cache: the figures computed by one worker, read by the others when there is no Redis.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_public'
down_revision = '0004_pakn'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('min_n', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.CheckConstraint("kind IN ('onestop', 'health', 'education')", name=op.f('ck_public_settings_kind')),
    sa.CheckConstraint('min_n >= 10', name=op.f('ck_public_settings_min_n')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_public_settings_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_settings')),
    sa.UniqueConstraint('organisation_id', 'kind', name=op.f('uq_public_settings_organisation_id'))
    )
    with op.batch_alter_table('public_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_settings_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('public_snapshots',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=120), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_public_snapshots_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_public_snapshots'))
    )


def downgrade():
    op.drop_table('public_snapshots')
    with op.batch_alter_table('public_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_settings_organisation_id'))
    op.drop_table('public_settings')

"""kiosk: desks (quầy), their roster of officers, kiosk pairings and devices, officer ratings

Revision ID: 0010_kiosk
Revises: 0009_tenancy
Create Date: 2026-12-01 19:09:34

New tables only, each carrying its ward. Officer ratings are personnel data: the office shows them to admins only.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_kiosk'
down_revision = '0009_tenancy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('desks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_desks_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_desks_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desks')),
    sa.UniqueConstraint('point_id', 'code', name=op.f('uq_desks_point_id'))
    )
    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desks_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('kiosk_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_kiosk_devices_desk_id_desks')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_kiosk_devices_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_kiosk_devices_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_devices'))
    )
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_devices_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('kiosk_pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_kiosk_pairings_desk_id_desks')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_kiosk_pairings_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_kiosk_pairings_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_pairings'))
    )
    with op.batch_alter_table('kiosk_pairings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_pairings_code_hash'), ['code_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_pairings_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('roster_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('officer_name', sa.String(length=120), nullable=False),
    sa.Column('officer_title', sa.String(length=120), nullable=True),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_day >= start_day', name=op.f('ck_roster_entries_days')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_roster_entries_desk_id_desks')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_roster_entries_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_entries'))
    )
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index('ix_roster_entries_desk_days', ['desk_id', 'start_day', 'end_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_entries_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('officer_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=True),
    sa.Column('roster_id', sa.Integer(), nullable=True),
    sa.Column('officer_name', sa.String(length=120), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.String(length=200), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day_key', sa.Integer(), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.CheckConstraint("channel IN ('qr', 'kiosk')", name=op.f('ck_officer_ratings_channel')),
    sa.CheckConstraint("level IN ('very_satisfied', 'satisfied', 'unsatisfied')", name=op.f('ck_officer_ratings_level')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_officer_ratings_desk_id_desks')),
    sa.ForeignKeyConstraint(['device_id'], ['kiosk_devices.id'], name=op.f('fk_officer_ratings_device_id_kiosk_devices')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_officer_ratings_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_officer_ratings_point_id_service_points')),
    sa.ForeignKeyConstraint(['roster_id'], ['roster_entries.id'], name=op.f('fk_officer_ratings_roster_id_roster_entries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_ratings')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_officer_ratings_submission_key'))
    )
    with op.batch_alter_table('officer_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_officer_ratings_period', ['organisation_id', 'day_key'], unique=False)



def downgrade():
    with op.batch_alter_table('officer_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_officer_ratings_period')

    op.drop_table('officer_ratings')
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_entries_organisation_id'))
        batch_op.drop_index('ix_roster_entries_desk_days')

    op.drop_table('roster_entries')
    with op.batch_alter_table('kiosk_pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_pairings_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_kiosk_pairings_code_hash'))

    op.drop_table('kiosk_pairings')
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_devices_organisation_id'))

    op.drop_table('kiosk_devices')
    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desks_organisation_id'))

    op.drop_table('desks')

"""tenancy: accounts belong to a ward (or a province), point codes unique per ward, settings and audit per ward

Revision ID: 0009_tenancy
Revises: 0005_numbers
Create Date: 2026-12-01 19:20:00

- users: organisation_id (NULL only for the new `province` role) and province; existing accounts go to the
  first ward (the only one a database could hold before).
- service_points: the code is unique per ward ((organisation_id, code)); `short_url` marks the points owning
  their bare /s/<code> (all existing ones), whose posters keep working whatever other wards call their points.
- retired_codes, settings: organisation_id first in their primary key (a code is retired within its ward);
  audit_events: organisation_id (NULL for events of no ward).
Not changed (see the README, "Beyond one machine"): responses, answers and tokens reach their ward through
their point; responses.submission_key, pakn_items' hashes and form_drafts.form_key stay globally unique.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_tenancy'
down_revision = '0005_numbers'
branch_labels = None
depends_on = None


FIRST_WARD = "(SELECT MIN(id) FROM organisations)"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('province', sa.String(length=200), nullable=True))
    op.execute(f"UPDATE users SET organisation_id = {FIRST_WARD}")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role'), "role IN ('admin', 'reviewer', 'viewer', 'province')")
        batch_op.create_check_constraint(batch_op.f('ck_users_ward'), "(role = 'province') = (organisation_id IS NULL)")
        batch_op.create_foreign_key(batch_op.f('fk_users_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_url', sa.Boolean(), nullable=True))
    op.execute("UPDATE service_points SET short_url = TRUE")
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.alter_column('short_url', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_service_points_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_service_points_organisation_id'),
                                          ['organisation_id', 'code'])

    with op.batch_alter_table('retired_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    op.execute("UPDATE retired_codes SET organisation_id = "
               "(SELECT organisation_id FROM service_points WHERE service_points.id = retired_codes.point_id)")
    with op.batch_alter_table('retired_codes', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('pk_retired_codes'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_retired_codes'), ['organisation_id', 'code'])
        batch_op.create_foreign_key(batch_op.f('fk_retired_codes_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    op.execute(f"UPDATE audit_events SET organisation_id = {FIRST_WARD}")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_audit_events_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    # A setting can only belong to a ward: without any ward there is nothing to keep it for.
    op.execute(f"UPDATE settings SET organisation_id = {FIRST_WARD}")
    op.execute("DELETE FROM settings WHERE organisation_id IS NULL")
    with op.batch_alter_table('settings', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('pk_settings'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_settings'), ['organisation_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_settings_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])


def downgrade():
    # Only the first ward's rows fit the one-ward schema; a database holding several wards cannot go back.
    bind = op.get_bind()
    wards = bind.execute(sa.text("SELECT COUNT(*) FROM organisations")).scalar() or 0
    if wards > 1:
        raise RuntimeError("0009_tenancy: the database holds several wards; it cannot go back to one ward")
    op.execute("DELETE FROM users WHERE role = 'province'")
    with op.batch_alter_table('settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_settings_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('pk_settings'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_settings'), ['key'])
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_organisation_id'))
        batch_op.drop_constraint(batch_op.f('fk_audit_events_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('retired_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_retired_codes_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('pk_retired_codes'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_retired_codes'), ['code'])
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_points_organisation_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_service_points_code'), ['code'])
        batch_op.drop_column('short_url')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))
        batch_op.drop_constraint(batch_op.f('fk_users_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_users_ward'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role'), "role IN ('admin', 'reviewer', 'viewer')")
        batch_op.drop_column('province')
        batch_op.drop_column('organisation_id')

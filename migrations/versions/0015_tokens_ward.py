"""tokens_ward: receipt codes carry their ward, like every other table a ward owns

Revision ID: 0015_tokens_ward
Revises: 0014_province_snapshots
Create Date: 2026-12-02 02:30:00

`tokens.organisation_id` is copied from the point (backfilled here, then NOT NULL) and indexed: the last table a
ward owns that reached its ward only through `point_id` (the Citus plan in the README distributes `tokens` by
ward). `token_hash` stays unique on its own: it is a SHA-256 of a signed random code, as the README argues for the
other random keys. Going down drops the column; nothing else depends on it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_tokens_ward'
down_revision = '0014_province_snapshots'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE tokens SET organisation_id = service_points.organisation_id FROM service_points "
                   "WHERE service_points.id = tokens.point_id")
    else:
        op.execute("UPDATE tokens SET organisation_id = (SELECT service_points.organisation_id "
                   "FROM service_points WHERE service_points.id = tokens.point_id)")
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_tokens_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_tokens_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_organisation_id'))
        batch_op.drop_constraint(batch_op.f('fk_tokens_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('organisation_id')

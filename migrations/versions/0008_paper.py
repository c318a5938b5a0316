"""paper forms: issued serials, what each clerk entered (double entry), and each ward's paper settings

Revision ID: 0008_paper
Revises: 0002_accounts_sessions
Create Date: 2026-12-01 16:35:44

New tables only. A paper form becomes a response (channel 'paper') only once it is verified, so nothing waiting
for a second clerk or a reviewer is ever in `responses`. No row in paper_settings means double entry is required.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_paper'
down_revision = '0006_public'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_settings',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('double_entry', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_paper_settings_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_paper_settings'))
    )
    op.create_table('paper_serials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.CheckConstraint("kind IN ('onestop', 'health', 'education')", name=op.f('ck_paper_serials_kind')),
    sa.CheckConstraint("state IN ('issued', 'entered', 'conflict', 'stored')", name=op.f('ck_paper_serials_state')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_paper_serials_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_paper_serials_point_id_service_points')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'],
                            name=op.f('fk_paper_serials_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_serials')),
    sa.UniqueConstraint('number', 'organisation_id', name=op.f('uq_paper_serials_number')),
    sa.UniqueConstraint('serial', 'organisation_id', name=op.f('uq_paper_serials_serial'))
    )
    with op.batch_alter_table('paper_serials', schema=None) as batch_op:
        batch_op.create_index('ix_paper_serials_organisation_id_state', ['organisation_id', 'state'], unique=False)

    op.create_table('paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.SmallInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.CheckConstraint('round IN (1, 2)', name=op.f('ck_paper_entries_round')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_paper_entries_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['paper_id'], ['paper_serials.id'], name=op.f('fk_paper_entries_paper_id_paper_serials')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
    sa.UniqueConstraint('paper_id', 'round', name=op.f('uq_paper_entries_paper_id')),
    sa.UniqueConstraint('user_id', 'paper_id', name=op.f('uq_paper_entries_user_id'))
    )
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entries_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entries_organisation_id'))

    op.drop_table('paper_entries')
    with op.batch_alter_table('paper_serials', schema=None) as batch_op:
        batch_op.drop_index('ix_paper_serials_organisation_id_state')

    op.drop_table('paper_serials')
    op.drop_table('paper_settings')

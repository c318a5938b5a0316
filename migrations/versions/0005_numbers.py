"""numbers: the ward's population margins (raking targets) and a record of generated periodic reports

Revision ID: 0005_numbers
Revises: 0002_accounts_sessions
Create Date: 2026-12-01 17:00:00

Two new tables, each carrying its ward. Nothing existing changes, so the downgrade only drops them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_numbers'
down_revision = '0007_form_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('population_margins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.CheckConstraint("dimension IN ('gender', 'age_group')", name=op.f('ck_population_margins_dimension')),
    sa.CheckConstraint('population >= 0', name=op.f('ck_population_margins_population')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_population_margins_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_margins')),
    sa.UniqueConstraint('organisation_id', 'dimension', 'category',
                        name=op.f('uq_population_margins_organisation_id'))
    )
    with op.batch_alter_table('population_margins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_margins_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('generated_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('window', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_generated_reports_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_reports'))
    )
    with op.batch_alter_table('generated_reports', schema=None) as batch_op:
        batch_op.create_index('ix_generated_reports_period', ['organisation_id', 'period'], unique=False)


def downgrade():
    with op.batch_alter_table('generated_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_generated_reports_period')
    op.drop_table('generated_reports')
    with op.batch_alter_table('population_margins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_margins_organisation_id'))
    op.drop_table('population_margins')

"""pakn: phản ánh, kiến nghị — the register, its history, the ward's calendar and deadline rules, units, outgoing mail

Revision ID: 0004_pakn
Revises: 0002_accounts_sessions
Create Date: 2026-12-01 16:36:09

Every table carries its ward (organisation_id). Contact details live only in pakn_items, behind consent, until
contact_purge_on (`hailong pakn purge`); tracking codes and form keys are stored as keyed hashes only. New tables
only: nothing existing changes, so the downgrade drops them and loses only PAKN data.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_pakn'
down_revision = '0002_accounts_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pakn_calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_calendar_days_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_calendar_days')),
    sa.UniqueConstraint('organisation_id', 'day', name='uq_pakn_calendar_days_organisation_day')
    )
    with op.batch_alter_table('pakn_calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_calendar_days_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pakn_deadline_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.CheckConstraint('days BETWEEN 1 AND 365', name=op.f('ck_pakn_deadline_rules_days')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_deadline_rules_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_deadline_rules')),
    sa.UniqueConstraint('organisation_id', 'category', name='uq_pakn_deadline_rules_organisation_category')
    )
    with op.batch_alter_table('pakn_deadline_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_deadline_rules_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pakn_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('digest_all', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_units_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_units')),
    sa.UniqueConstraint('organisation_id', 'code', name='uq_pakn_units_organisation_code')
    )
    with op.batch_alter_table('pakn_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_units_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pakn_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_day', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_purge_on', sa.Date(), nullable=True),
    sa.Column('contact_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tracking_hash', sa.String(length=64), nullable=True),
    sa.Column('form_key_hash', sa.String(length=64), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('classification_note', sa.String(length=500), nullable=True),
    sa.Column('agency', sa.String(length=200), nullable=True),
    sa.Column('classified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_unit', sa.String(length=40), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('draft_reply', sa.Text(), nullable=True),
    sa.Column('drafted_by', sa.String(length=80), nullable=True),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_question', sa.Text(), nullable=True),
    sa.Column('published_reply', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_reply_on_time', sa.Boolean(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('rating_reason', sa.String(length=500), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.String(length=500), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('form', 'survey', 'paper', 'phone', 'email', 'portal', 'direct')", name=op.f('ck_pakn_items_channel')),
    sa.CheckConstraint("classification IN ('accepted', 'rejected', 'transferred')", name=op.f('ck_pakn_items_classification')),
    sa.CheckConstraint("rating IN ('satisfied', 'unsatisfied')", name=op.f('ck_pakn_items_rating')),
    sa.CheckConstraint("status IN ('new', 'accepted', 'rejected', 'transferred', 'assigned', 'in_progress', 'pending_approval', 'published', 'closed', 'reopened')", name=op.f('ck_pakn_items_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_items_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['service_points.id'], name=op.f('fk_pakn_items_point_id_service_points')),
    sa.ForeignKeyConstraint(['submission_id'], ['responses.id'], name=op.f('fk_pakn_items_submission_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_items')),
    sa.UniqueConstraint('form_key_hash', name=op.f('uq_pakn_items_form_key_hash')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_pakn_items_submission_id')),
    sa.UniqueConstraint('tracking_hash', name=op.f('uq_pakn_items_tracking_hash'))
    )
    with op.batch_alter_table('pakn_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_items_assigned_unit'), ['assigned_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_items_contact_purge_on'), ['contact_purge_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_items_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_items_point_id'), ['point_id'], unique=False)
        batch_op.create_index('ix_pakn_items_received', ['organisation_id', 'received_day'], unique=False)
        batch_op.create_index('ix_pakn_items_register', ['organisation_id', 'status', 'due_on'], unique=False)

    op.create_table('pakn_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['pakn_items.id'], name=op.f('fk_pakn_events_item_id_pakn_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_events_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_events'))
    )
    with op.batch_alter_table('pakn_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_events_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_events_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pakn_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('to_addr', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['pakn_items.id'], name=op.f('fk_pakn_mail_item_id_pakn_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_pakn_mail_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pakn_mail'))
    )
    with op.batch_alter_table('pakn_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pakn_mail_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_mail_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pakn_mail_sent_at'), ['sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('pakn_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_mail_sent_at'))
        batch_op.drop_index(batch_op.f('ix_pakn_mail_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_pakn_mail_item_id'))

    op.drop_table('pakn_mail')
    with op.batch_alter_table('pakn_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_events_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_pakn_events_item_id'))

    op.drop_table('pakn_events')
    with op.batch_alter_table('pakn_items', schema=None) as batch_op:
        batch_op.drop_index('ix_pakn_items_register')
        batch_op.drop_index('ix_pakn_items_received')
        batch_op.drop_index(batch_op.f('ix_pakn_items_point_id'))
        batch_op.drop_index(batch_op.f('ix_pakn_items_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_pakn_items_contact_purge_on'))
        batch_op.drop_index(batch_op.f('ix_pakn_items_assigned_unit'))

    op.drop_table('pakn_items')
    with op.batch_alter_table('pakn_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_units_organisation_id'))

    op.drop_table('pakn_units')
    with op.batch_alter_table('pakn_deadline_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_deadline_rules_organisation_id'))

    op.drop_table('pakn_deadline_rules')
    with op.batch_alter_table('pakn_calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pakn_calendar_days_organisation_id'))

    op.drop_table('pakn_calendar_days')

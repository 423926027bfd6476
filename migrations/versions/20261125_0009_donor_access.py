"""donor_access: donor sign-in links, attempt counters, donor requests (issue 6)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('donor_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receipt-reissue', 'delivery-address', 'mail-address', name='requestkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'approved', 'corrected', 'refused', name='requeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('reissue_reason', sa.Enum('lost', 'not-arrived', 'details-wrong', name='reissuereason', native_enum=False, length=32), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('staff_note', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_donor_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_donor_request_donation_id_donation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_request'))
    )
    with op.batch_alter_table('donor_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donor_request_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donor_request_status'), ['status'], unique=False)

    op.create_table('donor_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['support_conversation.id'], name=op.f('fk_donor_token_conversation_id_support_conversation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_donor_token_token_hash'))
    )
    with op.batch_alter_table('donor_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donor_token_expires_at'), ['expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('donor_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_token_expires_at'))

    op.drop_table('donor_token')
    with op.batch_alter_table('donor_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_request_status'))
        batch_op.drop_index(batch_op.f('ix_donor_request_donation_id'))

    op.drop_table('donor_request')

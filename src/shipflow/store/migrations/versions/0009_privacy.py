"""privacy: Shopify's compliance requests, and when personal data left an order, a stored
webhook body or an outbound ledger entry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ('orders', 'webhook_inbox', 'outbound_ledger')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('personal_data_removed_at',
                                          sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_inbox_retention', 'webhook_inbox',
                    ['personal_data_removed_at', 'received_at'])
    op.create_table(
        'privacy_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('topic', sa.String(length=32), nullable=False),
        sa.Column('shop_domain', sa.String(length=255), nullable=False),
        sa.Column('shop_id', sa.BigInteger(), nullable=True),
        sa.Column('webhook_id', sa.String(length=255), nullable=False),
        sa.Column('shopify_customer_id', sa.BigInteger(), nullable=True),
        sa.Column('data_request_id', sa.BigInteger(), nullable=True),
        sa.Column('order_ids', sa.JSON(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('phone', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.JSON(), nullable=True),
        sa.Column('export', sa.JSON(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('webhook_id'),
    )
    op.create_index('ix_privacy_requests_status', 'privacy_requests', ['status', 'id'])


def downgrade() -> None:
    op.drop_index('ix_privacy_requests_status', table_name='privacy_requests')
    op.drop_table('privacy_requests')
    op.drop_index('ix_inbox_retention', table_name='webhook_inbox')
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('personal_data_removed_at')

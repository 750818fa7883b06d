"""lifecycle: holds, ShipStation order parts, relabels, timers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 07:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('hold_note', sa.String(length=512), nullable=True))
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=True))
    op.create_table(
        'shipstation_orders',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('order_key', sa.String(length=64), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('hold_reason', sa.String(length=32), nullable=True),
        sa.Column('backordered', sa.JSON(), nullable=True),
        sa.Column('shipstation_order_id', sa.BigInteger(), nullable=True),
        sa.Column('confirmation', sa.String(length=32), nullable=True),
        sa.Column('carrier_code', sa.String(length=64), nullable=True),
        sa.Column('service_code', sa.String(length=128), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('order_key'),
    )
    op.create_index('ix_shipstation_orders_order', 'shipstation_orders', ['order_id'])
    op.create_table(
        'timers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('timer_key', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.String(length=64), nullable=True),
        sa.Column('sku', sa.String(length=255), nullable=True),
        sa.Column('days', sa.Float(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('batch_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('timer_key'),
    )
    op.create_index('ix_timers_due', 'timers', ['state', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_timers_due', table_name='timers')
    op.drop_table('timers')
    op.drop_index('ix_shipstation_orders_order', table_name='shipstation_orders')
    op.drop_table('shipstation_orders')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('items')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('order_key')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('hold_note')
        batch_op.drop_column('hold_reason')

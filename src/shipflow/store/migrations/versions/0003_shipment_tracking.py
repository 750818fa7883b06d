"""shipment tracking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:29:51.505775
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('milestone_rank', sa.Integer(), server_default='-1', nullable=False))
        batch_op.add_column(sa.Column('last_scan_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('estimated_delivery', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('exception', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('exception_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_shipments_tracking', ['tracking_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_tracking')
        batch_op.drop_column('exception_at')
        batch_op.drop_column('exception')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('estimated_delivery')
        batch_op.drop_column('last_scan_at')
        batch_op.drop_column('milestone_rank')
        batch_op.drop_column('milestone')


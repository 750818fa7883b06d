"""orders retried after a transient failure, tracking that arrives before its label, and the
engine's executors' heartbeats

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retries', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table(
        'early_tracking',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('update_key', sa.String(length=255), nullable=False),
        sa.Column('tracking_number', sa.String(length=128), nullable=False),
        sa.Column('update', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('update_key'),
    )
    op.create_index('ix_early_tracking_number', 'early_tracking', ['tracking_number'])
    op.create_table(
        'executors',
        sa.Column('executor_id', sa.String(length=128), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('adopted_by', sa.String(length=128), nullable=True),
        sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('executor_id'),
    )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('retries')
        batch_op.drop_column('retry_at')
    op.drop_table('executors')
    op.drop_index('ix_early_tracking_number', table_name='early_tracking')
    op.drop_table('early_tracking')

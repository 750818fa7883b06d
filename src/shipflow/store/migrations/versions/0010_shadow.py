"""shadow run: which process handles each order (shipflow, or the merchant's manual process
for orders first seen while `policy.mode` was shadow)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        # 'shipflow' | 'manual'; NULL for orders stored before the column (handled by shipflow)
        batch_op.add_column(sa.Column('handled_by', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('handled_by')

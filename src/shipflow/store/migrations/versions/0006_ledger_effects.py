"""outbound ledger: the effect each row is, and what it writes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effect', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_ledger', schema=None) as batch_op:
        batch_op.drop_column('payload')
        batch_op.drop_column('effect')

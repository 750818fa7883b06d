"""shared rate budgets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:25:23.976743
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_budgets',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('blocked_until', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('rate_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_log', schema=None) as batch_op:
        batch_op.create_index('ix_rate_log_name_at', ['name', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rate_log', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_log_name_at')

    op.drop_table('rate_log')
    op.drop_table('rate_budgets')

"""webhook inbox: body hash, event and content dedupe keys, authenticated flag; intake counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('event_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('content_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('authenticated', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_index('uq_inbox_event_key', 'webhook_inbox', ['provider', 'event_key'],
                    unique=True)
    op.create_index('uq_inbox_content_key', 'webhook_inbox', ['provider', 'content_key'],
                    unique=True)
    op.create_index('ix_inbox_authenticated', 'webhook_inbox', ['authenticated', 'id'])
    # Rejections made before the sender was authenticated (signature, token, size).
    op.execute("UPDATE webhook_inbox SET authenticated = false "
               "WHERE status = 'rejected' AND http_status IN (401, 403, 404, 413)")
    op.create_table(
        'intake_counters',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('intake_counters')
    op.drop_index('ix_inbox_authenticated', table_name='webhook_inbox')
    op.drop_index('uq_inbox_content_key', table_name='webhook_inbox')
    op.drop_index('uq_inbox_event_key', table_name='webhook_inbox')
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_column('authenticated')
        batch_op.drop_column('content_key')
        batch_op.drop_column('event_key')
        batch_op.drop_column('body_sha256')

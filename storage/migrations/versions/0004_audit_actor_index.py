"""audit log: index on (actor, at) for the log-in guard

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 05:20:00
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.create_index('ix_auditlog_actor_at', ['actor', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_index('ix_auditlog_actor_at')

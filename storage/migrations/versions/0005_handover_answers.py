"""faq_query: staff answers to handed-over questions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 05:25:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('faq_query', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_message_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('faq_query', schema=None) as batch_op:
        batch_op.drop_column('answer_message_id')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by')

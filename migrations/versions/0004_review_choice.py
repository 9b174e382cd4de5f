"""Review items: the topic the parent chose when Wegwijs asked "Bedoel je…?".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wegwijs_review_items") as batch:
        batch.add_column(sa.Column("chosen_intent", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wegwijs_review_items") as batch:
        batch.drop_column("chosen_intent")

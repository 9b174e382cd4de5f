"""Conversations whose stored messages were scrubbed of personal data, and up to which event.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_scrubbed_conversations",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("scrubbed_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wegwijs_scrubbed_conversations")

"""Tracker snapshots: the state of long conversations, so Rasa reads only their recent events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_tracker_snapshots",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("session_event_id", sa.Integer, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wegwijs_tracker_snapshots")

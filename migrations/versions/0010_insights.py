"""Insights (issue 17): per-conversation figures summed up from the tracker store, never message text;
when staff first answered a handover; and the parent's rating on a message waiting for review.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_insight_conversations",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("parent_messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_understood", sa.Integer, nullable=False, server_default="0"),
        sa.Column("choices_offered", sa.Integer, nullable=False, server_default="0"),
        sa.Column("choices_taken", sa.Integer, nullable=False, server_default="0"),
        sa.Column("safety_replies", sa.Integer, nullable=False, server_default="0"),
        sa.Column("handover_forms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_insight_conversations_school_week", "wegwijs_insight_conversations",
                    ["school_id", "week"])
    op.create_index("ix_insight_conversations_week", "wegwijs_insight_conversations", ["week"])
    op.create_table(
        "wegwijs_insight_topics",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("topic", sa.String(80), primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("asked", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_insight_topics_school_week", "wegwijs_insight_topics", ["school_id", "week"])
    op.create_index("ix_insight_topics_week", "wegwijs_insight_topics", ["week"])
    op.create_table(
        "wegwijs_insight_ratings",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("answer_id", sa.String(160), primary_key=True),
        sa.Column("topic", sa.String(80), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(20), nullable=True),
        sa.Column("rated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_insight_ratings_school_week", "wegwijs_insight_ratings", ["school_id", "week"])
    op.create_index("ix_insight_ratings_week", "wegwijs_insight_ratings", ["week"])
    op.create_index("ix_insight_ratings_reason", "wegwijs_insight_ratings", ["reason"])
    op.create_table(
        "wegwijs_insight_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refreshed_at", sa.DateTime, nullable=True),
    )
    op.add_column("wegwijs_handovers", sa.Column("first_reply_at", sa.DateTime, nullable=True))
    op.create_index("ix_wegwijs_handovers_created_at", "wegwijs_handovers", ["created_at"])
    op.add_column("wegwijs_review_items", sa.Column("rating", sa.String(8), nullable=True))
    op.add_column("wegwijs_review_items", sa.Column("rating_reason", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wegwijs_review_items") as batch:
        batch.drop_column("rating_reason")
        batch.drop_column("rating")
    op.drop_index("ix_wegwijs_handovers_created_at", "wegwijs_handovers")
    with op.batch_alter_table("wegwijs_handovers") as batch:
        batch.drop_column("first_reply_at")
    op.drop_table("wegwijs_insight_state")
    op.drop_table("wegwijs_insight_ratings")
    op.drop_table("wegwijs_insight_topics")
    op.drop_table("wegwijs_insight_conversations")

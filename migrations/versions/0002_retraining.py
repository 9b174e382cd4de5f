"""Retraining: exports from the tracker store, review items (scrubbed messages) and rounds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_retrain_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("exported", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "wegwijs_retrain_rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("examples", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("current_macro_f1", sa.Float, nullable=True),
        sa.Column("candidate_macro_f1", sa.Float, nullable=True),
        sa.Column("report_path", sa.String(255), nullable=True),
    )
    op.create_table(
        "wegwijs_review_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("export_id", sa.Integer,
                  sa.ForeignKey("wegwijs_retrain_exports.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("event_id", sa.Integer, nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=True, index=True),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("pii_types", sa.String(120), nullable=False, server_default=""),
        sa.Column("predicted_intent", sa.String(80), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("next_action", sa.String(80), nullable=True),
        sa.Column("fallback", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("group_key", sa.String(255), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("intent", sa.String(80), nullable=True),
        sa.Column("decided_by", sa.Integer,
                  sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("round_id", sa.Integer,
                  sa.ForeignKey("wegwijs_retrain_rounds.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("wegwijs_review_items", "wegwijs_retrain_rounds", "wegwijs_retrain_exports"):
        op.drop_table(table)

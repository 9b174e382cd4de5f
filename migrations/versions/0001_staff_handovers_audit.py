"""Staff accounts and sessions, handovers with notes, and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_staff_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("school_id", sa.String(64), nullable=True, index=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("roles", sa.String(255), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_login_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "wegwijs_staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("wegwijs_staff_users.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "wegwijs_handovers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("school_id", sa.String(64), nullable=False, index=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("assignee_id", sa.Integer,
                  sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("child_class", sa.String(40), nullable=True),
        sa.Column("age_band", sa.String(20), nullable=True),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column("contact_method", sa.String(10), nullable=False),
        sa.Column("contact_detail", sa.String(254), nullable=True),
        sa.Column("consent_text", sa.Text, nullable=True),
        sa.Column("consented_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("resolved_role", sa.String(32), nullable=True),
        sa.Column("notified_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime, nullable=True),
        sa.Column("purged_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "wegwijs_handover_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handover_id", sa.Integer,
                  sa.ForeignKey("wegwijs_handovers.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("author_id", sa.Integer,
                  sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "wegwijs_audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("handover_public_id", sa.String(32), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=True),
    )


def downgrade() -> None:
    for table in ("wegwijs_audit_log", "wegwijs_handover_notes", "wegwijs_handovers",
                  "wegwijs_staff_sessions", "wegwijs_staff_users"):
        op.drop_table(table)

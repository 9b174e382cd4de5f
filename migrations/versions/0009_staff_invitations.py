"""Staff accounts managed in the portal (issue 16): one-time invitation and password-reset links (only a
hash of each token is stored), and the audit log's who-was-changed (its old and new value columns came
with 0008).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_staff_invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False, server_default="invite"),
        sa.Column("school_id", sa.String(64), nullable=False, index=True),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="staff"),
        sa.Column("roles", sa.String(255), nullable=False, server_default=""),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("invited_by", sa.Integer,
                  sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    with op.batch_alter_table("wegwijs_audit_log") as batch:
        batch.add_column(sa.Column("target_user_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wegwijs_audit_log") as batch:
        batch.drop_column("target_user_id")
    op.drop_table("wegwijs_staff_invitations")

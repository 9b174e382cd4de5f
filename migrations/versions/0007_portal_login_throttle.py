"""The portal's login throttle per client address (a keyed hash, never the address), and what a refused
request asked for in the audit log (issue 20, findings 1 and 9).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_login_throttle",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime, nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column("wegwijs_audit_log", sa.Column("detail", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wegwijs_audit_log") as batch:
        batch.drop_column("detail")
    op.drop_table("wegwijs_login_throttle")

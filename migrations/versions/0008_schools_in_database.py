"""Schools in the database (issue 16): the profile, its holidays and its own notes per topic, with a
version the chat compares per message; the audit log keeps a school change's old and new value.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_schools",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "wegwijs_school_holidays",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("school_id", sa.String(64), sa.ForeignKey("wegwijs_schools.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("label", sa.String(60), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "wegwijs_school_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("school_id", sa.String(64), sa.ForeignKey("wegwijs_schools.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("topic", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("school_id", "topic", name="uq_wegwijs_school_notes_school_topic"),
    )
    with op.batch_alter_table("wegwijs_audit_log") as batch:
        batch.add_column(sa.Column("old_value", sa.Text, nullable=True))
        batch.add_column(sa.Column("new_value", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wegwijs_audit_log") as batch:
        batch.drop_column("new_value")
        batch.drop_column("old_value")
    op.drop_table("wegwijs_school_notes")
    op.drop_table("wegwijs_school_holidays")
    op.drop_table("wegwijs_schools")

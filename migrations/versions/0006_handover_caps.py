"""Caps on new handovers and bundled notification mails: the parent's network on the handover (a keyed
hash, for the cap per network), the address a bundled mail waits for, and when each address last got a
mail.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wegwijs_handovers") as batch:
        batch.add_column(sa.Column("client_network", sa.String(32), nullable=True))
        batch.add_column(sa.Column("notify_to", sa.String(254), nullable=True))
        batch.create_index("ix_wegwijs_handovers_client_network_created_at", ["client_network", "created_at"])
        batch.create_index("ix_wegwijs_handovers_notify_to", ["notify_to"])
    op.create_table(
        "wegwijs_mail_windows",
        sa.Column("address", sa.String(254), primary_key=True),
        sa.Column("sent_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wegwijs_mail_windows")
    with op.batch_alter_table("wegwijs_handovers") as batch:
        batch.drop_index("ix_wegwijs_handovers_notify_to")
        batch.drop_index("ix_wegwijs_handovers_client_network_created_at")
        batch.drop_column("notify_to")
        batch.drop_column("client_network")

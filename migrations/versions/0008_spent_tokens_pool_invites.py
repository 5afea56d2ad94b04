"""spent single-use tokens; pool invitations waiting for the invited store's admin

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spent_token",
        sa.Column("token_id", sa.String(length=128), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_spent_token")),
    )
    op.create_index(op.f("ix_spent_token_expires_at"), "spent_token", ["expires_at"])
    with op.batch_alter_table("installation") as batch:
        batch.add_column(sa.Column("invited_pool_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("invited_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_foreign_key(
            op.f("fk_installation_invited_pool_id_stock_pool"),
            "stock_pool",
            ["invited_pool_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(op.f("ix_install_state_created_at"), "install_state", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_install_state_created_at"), table_name="install_state")
    with op.batch_alter_table("installation") as batch:
        batch.drop_constraint(
            op.f("fk_installation_invited_pool_id_stock_pool"), type_="foreignkey"
        )
        batch.drop_column("invited_at")
        batch.drop_column("invited_pool_id")
    op.drop_index(op.f("ix_spent_token_expires_at"), table_name="spent_token")
    op.drop_table("spent_token")

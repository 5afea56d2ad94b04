"""store disconnected alerts: an alert may be about a store (its credential refused) instead of
a SKU — ``alert.sku_id`` nullable, ``alert.installation_id``, one open alert per store and
condition. (``installation.status`` gains the value ``needs_reconnect``: no schema change.)

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert", recreate="auto") as batch:
        batch.alter_column("sku_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("installation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_alert_installation_id_installation"),
            "installation",
            ["installation_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index(op.f("ix_alert_installation_id"), "alert", ["installation_id"], unique=False)
    # One open alert per store and condition (a store alert has no SKU, so uq_alert_open,
    # where NULLs are distinct, can't hold it).
    op.create_index(
        "uq_alert_store_open",
        "alert",
        ["installation_id", "condition"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL AND installation_id IS NOT NULL"),
        sqlite_where=sa.text("cleared_at IS NULL AND installation_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_alert_store_open", table_name="alert")
    op.drop_index(op.f("ix_alert_installation_id"), table_name="alert")
    op.execute("DELETE FROM alert WHERE sku_id IS NULL")
    with op.batch_alter_table("alert", recreate="auto") as batch:
        batch.drop_constraint(op.f("fk_alert_installation_id_installation"), type_="foreignkey")
        batch.drop_column("installation_id")
        batch.alter_column("sku_id", existing_type=sa.Integer(), nullable=False)

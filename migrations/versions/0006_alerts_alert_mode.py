"""alerts: per-pool alert settings, alerts (one open per SKU and condition), their deliveries

Revision ID: 0006
Revises: 0005
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import models.base  # noqa: F401


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("email_recipients", sa.JSON(), nullable=False),
        sa.Column("webhook_sealed", sa.Text(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("threshold_units", sa.Integer(), nullable=False),
        sa.Column("spike_factor", sa.Float(), nullable=False),
        sa.Column("spike_window_hours", sa.Integer(), nullable=False),
        sa.Column("instant", sa.Boolean(), nullable=False),
        sa.Column("digest_at", sa.String(length=5), nullable=True),
        sa.Column("last_digest_on", sa.Date(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["stock_pool.id"],
            name=op.f("fk_alert_settings_pool_id_stock_pool"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("opened_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["stock_pool.id"],
            name=op.f("fk_alert_pool_id_stock_pool"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_alert_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_alert_pool_id"), "alert", ["pool_id"], unique=False)
    op.create_index(op.f("ix_alert_sku_id"), "alert", ["sku_id"], unique=False)
    # One open alert per SKU and condition: two sweeps racing cannot open two.
    op.create_index(
        "uq_alert_open",
        "alert",
        ["pool_id", "sku_id", "condition"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
        sqlite_where=sa.text("cleared_at IS NULL"),
    )
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_delivery_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint(
            "alert_id", "channel", name=op.f("uq_alert_delivery_alert_id_channel")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_alert_delivery_alert_id"), "alert_delivery", ["alert_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_delivery_alert_id"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_index("uq_alert_open", table_name="alert")
    op.drop_index(op.f("ix_alert_sku_id"), table_name="alert")
    op.drop_index(op.f("ix_alert_pool_id"), table_name="alert")
    op.drop_table("alert")
    op.drop_table("alert_settings")

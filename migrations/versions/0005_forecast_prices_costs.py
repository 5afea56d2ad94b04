"""forecast: one row per SKU; prices and unit costs on SKUs and listings

Revision ID: 0005
Revises: 0004
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import models.base  # noqa: F401


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("velocity", sa.Float(), nullable=False),
        sa.Column("spread", sa.Float(), nullable=False),
        sa.Column("days_of_cover", sa.Float(), nullable=True),
        sa.Column("stockout_on", sa.Date(), nullable=True),
        sa.Column("lead_time_days", sa.Float(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("order_quantity", sa.Integer(), nullable=False),
        sa.Column("abc", sa.String(length=1), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("revenue_minor", sa.Integer(), nullable=False),
        sa.Column("units_30d", sa.Integer(), nullable=False),
        sa.Column("confirmation_rate", sa.Float(), nullable=False),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["stock_pool.id"],
            name=op.f("fk_forecast_pool_id_stock_pool"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_forecast_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_forecast")),
    )
    op.create_index(op.f("ix_forecast_pool_id"), "forecast", ["pool_id"], unique=False)
    with op.batch_alter_table("sku") as batch:
        batch.add_column(sa.Column("price_minor", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unit_cost_minor", sa.Integer(), nullable=True))
    with op.batch_alter_table("listing") as batch:
        batch.add_column(sa.Column("price_minor", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(length=8), nullable=True))
    with op.batch_alter_table("supplier") as batch:
        batch.add_column(
            sa.Column("lead_time_spread_days", sa.Float(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("supplier") as batch:
        batch.drop_column("lead_time_spread_days")
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("currency")
        batch.drop_column("price_minor")
    with op.batch_alter_table("sku") as batch:
        batch.drop_column("unit_cost_minor")
        batch.drop_column("price_minor")
    op.drop_index(op.f("ix_forecast_pool_id"), table_name="forecast")
    op.drop_table("forecast")

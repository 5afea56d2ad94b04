"""panel tokens signed before an uninstall or a disconnect open nothing

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("installation") as batch:
        batch.add_column(
            sa.Column("panel_tokens_after", models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("installation") as batch:
        batch.drop_column("panel_tokens_after")

"""Scoring on workers: each attempt's job state (queued, stage, tries, token) and the
recordings' bytes in the database for workers on other machines.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("scoring_stage", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("scoring_tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("job_token", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("scored_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("scoring_alive_at", TIMESTAMP, nullable=True))
    op.create_table(
        "recording_blobs",
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_recording_blobs")),
    )


def downgrade() -> None:
    op.drop_table("recording_blobs")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("scoring_alive_at")
        batch_op.drop_column("scored_by")
        batch_op.drop_column("job_token")
        batch_op.drop_column("scoring_tries")
        batch_op.drop_column("scoring_stage")
        batch_op.drop_column("queued_at")

"""camera media: photos fetched from the vehicles' cameras, recorded video segments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sysid", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("image_index", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat_deg", sa.Float(), nullable=True),
        sa.Column("lon_deg", sa.Float(), nullable=True),
        sa.Column("alt_msl_m", sa.Float(), nullable=True),
        sa.Column("exif_lat_deg", sa.Float(), nullable=True),
        sa.Column("exif_lon_deg", sa.Float(), nullable=True),
        sa.Column("exif_alt_m", sa.Float(), nullable=True),
        sa.Column("source_url", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
            name=op.f("fk_camera_photos_patrol_id_patrols"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_photos")),
        sa.UniqueConstraint(
            "sysid", "image_index", "taken_at", name=op.f("uq_camera_photos_sysid")
        ),
    )
    op.create_index(op.f("ix_camera_photos_sysid"), "camera_photos", ["sysid"])
    op.create_index(op.f("ix_camera_photos_patrol_id"), "camera_photos", ["patrol_id"])
    op.create_index(op.f("ix_camera_photos_sha256"), "camera_photos", ["sha256"])
    op.create_table(
        "video_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sysid", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
            name=op.f("fk_video_segments_patrol_id_patrols"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_segments")),
    )
    op.create_index(op.f("ix_video_segments_sysid"), "video_segments", ["sysid"])
    op.create_index(op.f("ix_video_segments_patrol_id"), "video_segments", ["patrol_id"])
    op.create_index(op.f("ix_video_segments_started_at"), "video_segments", ["started_at"])


def downgrade() -> None:
    op.drop_table("video_segments")
    op.drop_table("camera_photos")

"""Folders (contract §3): a workspace's trees of folders, one tree per media type, and which
files or slideshows each folder holds."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow

#: ``Folder.level_key`` of a top-level folder (the others carry their parent's id).
ROOT_LEVEL = "root"


class Folder(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "folder"
    # A name is taken once per level: the same workspace, media type and parent.
    __table_args__ = (sa.UniqueConstraint("workspace_id", "media_type", "level_key", "name_key"),)

    name: Mapped[str] = mapped_column(sa.String(255))
    # The name as names compare: trimmed and case-folded (casefold may lengthen it).
    name_key: Mapped[str] = mapped_column(sa.String(1024))
    # ai_image | ai_video | upload | slideshow; a subfolder has its parent's.
    media_type: Mapped[str] = mapped_column(sa.String(16))
    parent_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("folder.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # str(parent_folder_id), or ROOT_LEVEL: the unique constraint's level (NULLs never clash).
    level_key: Mapped[str] = mapped_column(sa.String(36))


class FolderItem(IdMixin, WorkspaceScoped, Base):
    """One file or slideshow in one folder. Deleting the folder, the file or the slideshow
    deletes the membership (never the other way round)."""

    __tablename__ = "folder_item"
    __table_args__ = (
        sa.UniqueConstraint("folder_id", "file_id"),
        sa.UniqueConstraint("folder_id", "slideshow_id"),
        sa.CheckConstraint(
            "(file_id IS NULL) <> (slideshow_id IS NULL)", name="ck_folder_item_one_item"
        ),
        sa.Index("ix_folder_item_folder_added", "folder_id", "added_at"),
    )

    folder_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("folder.id", ondelete="CASCADE"), nullable=False
    )
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("file.id", ondelete="CASCADE"), nullable=True, index=True
    )
    slideshow_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("slideshow.id", ondelete="CASCADE"), nullable=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Gotify applications and clients: a name and settings around a WakeDock API token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from wakedock.db.base import Base, BigIntPK, utcnow


class GotifyApplication(Base):
    """A sender: its token publishes to its owner, or to every subscriber of ``topic``."""

    __tablename__ = "gotify_applications"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Deleting the token (here, or among the account's API tokens) deletes the application.
    api_token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    default_priority: Mapped[int] = mapped_column(default=0)
    topic: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GotifyClient(Base):
    """A receiver (a phone app, a CLI): its token reads and manages the owner's messages."""

    __tablename__ = "gotify_clients"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    api_token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

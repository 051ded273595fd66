"""Integration tables: the configured sources of inbound alerts and webhooks, and each one's
recent deliveries (bounded: see ``deliveries.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wakedock.db.base import Base, BigIntPK, utcnow


class Integration(Base):
    """One source: its kind, who gets what it sends (``target``), how it authenticates.

    ``token_hash``: SHA-256 of the bearer token Alertmanager or Grafana sends (their kinds);
    ``config["secret"]``: the HMAC secret of GitHub and generic hooks, sealed by the vault;
    the rest of ``config`` is the kind's own settings (a hook's header and templates).
    """

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IntegrationDelivery(Base):
    """A request an integration accepted (authenticated): what came, what became of it."""

    __tablename__ = "integration_deliveries"
    __table_args__ = (Index("ix_integration_deliveries_integration_id_id", "integration_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # delivered | ignored | duplicate | failed
    status: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int] = mapped_column()
    event: Mapped[str | None] = mapped_column(String(64), default=None)
    delivery_id: Mapped[str | None] = mapped_column(String(128), default=None)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    notifications: Mapped[int] = mapped_column(default=0)
    payload: Mapped[str] = mapped_column(Text, default="")
    payload_truncated: Mapped[bool] = mapped_column(default=False)

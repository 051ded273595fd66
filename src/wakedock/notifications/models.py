"""Notification tables: notifications, preferences, channels, templates, the delivery queue,
subscriptions, plus the per-user ordering state, browser push subscriptions and broadcasts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    BindParameter,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from wakedock.db.base import Base, BigIntPK, utcnow
from wakedock.notifications.states import (
    BroadcastStatus,
    ChannelKind,
    DeliveryChannel,
    DeliveryStatus,
    ScheduledStatus,
    state_column,
)


def _present(column: str) -> dict[str, Any]:
    """A partial index's options: only the rows where ``column`` is set."""
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # Listing newest first, resuming "after id X", unread counts.
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # Replaying the user's live stream in its order (see ``seq``).
        Index("ix_notifications_user_seq", "user_id", "seq"),
        Index("ix_notifications_user_read_id", "user_id", "read", "id"),
        # Three indexes hold only the rows that have their column: most rows (a broadcast's
        # copies, every create without a key) have none, and each index a row enters costs its
        # insert a B-tree descent (a broadcast's copies: 8.4 → 5.6 µs a row on SQLite). Every
        # query on them names a value, which implies the column is set, so they still serve.
        Index("ix_notifications_user_group", "user_id", "group_key", **_present("group_key")),
        Index("ix_notifications_expires_at", "expires_at", **_present("expires_at")),
        Index("ix_notifications_broadcast_id", "broadcast_id"),
        # One notification per recipient per (sender, key); rows older than 24 h give the key back.
        Index(
            "uq_notifications_sender_id_idempotency_key_user_id",
            "sender_id",
            "idempotency_key",
            "user_id",
            unique=True,
            **_present("idempotency_key"),
        ),
        # Never reuse an id on SQLite (ids are resume points: later must mean larger).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    action_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    action_label: Mapped[str | None] = mapped_column(String(64), default=None)
    topic: Mapped[str | None] = mapped_column(String(128), default=None)
    resource_id: Mapped[str | None] = mapped_column(String(255), default=None)
    source: Mapped[str | None] = mapped_column(String(128), default=None)
    group_key: Mapped[str | None] = mapped_column(String(128), default=None)
    read: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_broadcasts.id", ondelete="SET NULL"), default=None
    )
    # The position in the user's live stream: 1, 2, 3... with no gap and never reused, given
    # when the notification is pushed (at creation, or when quiet hours release it). None: not
    # pushed (yet). Live events carry it, so every socket delivers them in this order.
    seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Held by quiet hours at creation: its seq, given later, is out of id order.
    held: Mapped[bool] = mapped_column(default=False)


def visible(now: datetime | BindParameter[Any]) -> Any:
    """The condition for a notification not expired at ``now``: what every read shows."""
    return or_(Notification.expires_at.is_(None), Notification.expires_at > now)


class NotificationUserState(Base):
    """Per-user row locked by every creating transaction, so a user's notifications become
    visible in id order (gap-free resume); the replay floor left by retention; the last
    position given in the user's live stream."""

    __tablename__ = "notification_user_state"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    replay_floor_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class NotificationPreferences(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    websocket_enabled: Mapped[bool] = mapped_column(default=True)
    email_enabled: Mapped[bool] = mapped_column(default=True)
    push_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_hours_start: Mapped[str | None] = mapped_column(String(5), default=None)
    quiet_hours_end: Mapped[str | None] = mapped_column(String(5), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    notification_types: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    min_priority: Mapped[str] = mapped_column(String(8), default="low")
    auto_mark_read: Mapped[bool] = mapped_column(default=False)
    max_notifications: Mapped[int | None] = mapped_column(default=None)
    email_digest: Mapped[str] = mapped_column(String(8), default="off")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationChannel(Base):
    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[ChannelKind] = mapped_column(state_column(ChannelKind, length=16, name="type"))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationTemplate(Base):
    __tablename__ = "notification_templates"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    type: Mapped[str] = mapped_column(String(16), default="info")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    title_template: Mapped[str] = mapped_column(Text)
    message_template: Mapped[str] = mapped_column(Text, default="")
    action_url_template: Mapped[str | None] = mapped_column(Text, default=None)
    email_subject_template: Mapped[str | None] = mapped_column(Text, default=None)
    email_html_template: Mapped[str | None] = mapped_column(Text, default=None)
    default_ttl_seconds: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """One push to one channel: a durable job with retries (the notification queue)."""

    __tablename__ = "notification_queue"
    __table_args__ = (
        Index("ix_notification_queue_due", "status", "run_at"),
        Index("ix_notification_queue_notification_id", "notification_id"),
        Index("ix_notification_queue_digest_key", "digest_key", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    channel_type: Mapped[DeliveryChannel] = mapped_column(
        state_column(DeliveryChannel, length=16, name="channel_type")
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), default=None
    )
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    digest_key: Mapped[str | None] = mapped_column(String(96), default=None)
    status: Mapped[DeliveryStatus] = mapped_column(
        state_column(DeliveryStatus, length=12, name="status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationSubscription(Base):
    __tablename__ = "notification_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "topic", "resource_id"),
        Index("ix_notification_subscriptions_topic", "topic", "resource_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str | None] = mapped_column(String(255), default=None)
    notification_types: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    priority_threshold: Mapped[str] = mapped_column(String(8), default="low")
    channels: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicAccessRule(Base):
    """An admin's rule for one topic (``notifications/topics``): who may publish to it and
    subscribe to it. A topic without a row follows the default rule; so does a null column."""

    __tablename__ = "topic_access_rules"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    publish_roles: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    subscribe_roles: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    anonymous_publish: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushSubscription(Base):
    """A browser's PushSubscription (endpoint + keys) for web push."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(255))
    auth: Mapped[str] = mapped_column(String(255))
    user_agent: Mapped[str | None] = mapped_column(String(512), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    __tablename__ = "notification_broadcasts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[BroadcastStatus] = mapped_column(
        state_column(BroadcastStatus, length=12, name="status"), default=BroadcastStatus.QUEUED
    )
    recipients: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    cursor_user_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class ScheduledNotification(Base):
    """A create request kept until ``run_at`` (ntfy's ``X-Delay``): stored, so it survives a
    restart; the delivery worker sends it when due (``notifications/scheduled.py``)."""

    __tablename__ = "scheduled_notifications"
    __table_args__ = (
        Index("ix_scheduled_notifications_due", "status", "run_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sender_name: Mapped[str] = mapped_column(String(255))
    # The credentials it was scheduled with: checked again when it is sent.
    session_id: Mapped[str | None] = mapped_column(String(64), default=None)
    api_token_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_at: Mapped[datetime] = mapped_column()
    status: Mapped[ScheduledStatus] = mapped_column(
        state_column(ScheduledStatus, length=12, name="status"), default=ScheduledStatus.PENDING
    )
    sent: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

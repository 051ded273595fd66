from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from wakedock.notifications.states import DeliveryChannel, DeliveryStatus


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    notification_id: int | None
    user_id: int | None
    channel_type: DeliveryChannel
    channel_id: int | None
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    attempt_log: list[dict[str, Any]]
    created_at: datetime
    completed_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, model_validator

from wakedock.auth.schemas import TimeZoneName
from wakedock.bounds import StrictBool
from wakedock.notifications.schemas import NotificationType, Priority

HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class EmailDigest(StrEnum):
    OFF = "off"
    HOURLY = "hourly"
    DAILY = "daily"


class PreferencesOut(BaseModel):
    websocket_enabled: bool
    email_enabled: bool
    push_enabled: bool
    quiet_hours_start: str | None
    quiet_hours_end: str | None
    timezone: str
    notification_types: list[NotificationType]
    min_priority: Priority
    auto_mark_read: bool
    max_notifications: int | None
    email_digest: EmailDigest
    updated_at: datetime | None = None


class PreferencesPatch(BaseModel):
    """Every field optional: PATCH changes what is given; PUT replaces (missing → default)."""

    model_config = ConfigDict(extra="forbid")

    websocket_enabled: StrictBool | None = None
    email_enabled: StrictBool | None = None
    push_enabled: StrictBool | None = None
    quiet_hours_start: HHMM | None = None
    quiet_hours_end: HHMM | None = None
    timezone: TimeZoneName | None = None
    notification_types: list[NotificationType] | None = None
    min_priority: Priority | None = None
    auto_mark_read: StrictBool | None = None
    max_notifications: Annotated[int, Strict(), Field(ge=1, le=1_000_000)] | None = None
    email_digest: EmailDigest | None = None

    @model_validator(mode="after")
    def _quiet_hours_pair(self) -> PreferencesPatch:
        fields = self.model_fields_set
        if ("quiet_hours_start" in fields) != ("quiet_hours_end" in fields):
            raise ValueError("quiet_hours_start and quiet_hours_end are set together")
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValueError(
                "quiet_hours_start and quiet_hours_end are both null (off) or both set"
            )
        if self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            raise ValueError("quiet_hours_start and quiet_hours_end must differ")
        return self

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from wakedock.auth.permissions import Role
from wakedock.bounds import StrictBool

# ntfy's topic syntax (compat/ntfy/parse.py): a rule names a topic both APIs can reach.
TOPIC_PATTERN = r"^[-_A-Za-z0-9]{1,64}$"
RuleTopic = Annotated[str, StringConstraints(pattern=TOPIC_PATTERN)]
# Three roles exist; a list a little longer is refused rather than read.
Roles = Annotated[list[Role], Field(max_length=len(Role) * 2)]


class TopicAccessIn(BaseModel):
    """A topic's rule, whole: a null role list keeps that half at the default rule."""

    model_config = ConfigDict(extra="forbid")

    publish_roles: Roles | None = None
    subscribe_roles: Roles | None = None
    anonymous_publish: StrictBool = False

    @field_validator("publish_roles", "subscribe_roles")
    @classmethod
    def _distinct(cls, value: list[Role] | None) -> list[Role] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("name at least one role, or null for the default rule")
        return sorted(set(value))


class TopicAccessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    topic: str
    publish_roles: list[str] | None
    subscribe_roles: list[str] | None
    anonymous_publish: bool
    created_at: datetime
    updated_at: datetime

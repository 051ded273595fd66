"""Request and response bodies of the integrations API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from wakedock.auth.permissions import Role
from wakedock.bounds import Id, StrictBool
from wakedock.notifications.schemas import Topic


class Kind(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GITHUB = "github"
    HOOK = "hook"


# Kinds that authenticate with a bearer token; the others sign their body with a secret.
TOKEN_KINDS = frozenset({Kind.ALERTMANAGER, Kind.GRAFANA})

Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w .:/-]+$")]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=256)]
HeaderName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
]
TemplateText = Annotated[str, StringConstraints(max_length=10_000)]


class Target(BaseModel):
    """Who gets the notifications: exactly one of a topic, roles or user ids."""

    model_config = ConfigDict(extra="forbid")

    topic: Topic | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=3)] | None = None
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if sum(x is not None for x in (self.topic, self.roles, self.user_ids)) != 1:
            raise ValueError("give exactly one target: topic, roles or user_ids")
        return self


class HookTemplates(BaseModel):
    """A generic hook's templates (the parsed body is ``payload``)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    message: TemplateText | None = None
    type: TemplateText | None = None
    priority: TemplateText | None = None
    action_url: TemplateText | None = None
    group_key: TemplateText | None = None


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    name: Name
    target: Target
    # GitHub and hooks: the HMAC secret (generated when not given; shown once).
    secret: Secret | None = None
    # Hooks: the header carrying the signature, and the templates.
    signature_header: HeaderName | None = None
    templates: HookTemplates | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> IntegrationIn:
        if self.kind in TOKEN_KINDS and self.secret is not None:
            raise ValueError(f"{self.kind} authenticates with a bearer token, not a secret")
        if self.kind == Kind.HOOK and self.templates is None:
            raise ValueError("a hook needs templates (at least a title)")
        if self.kind != Kind.HOOK and (self.templates or self.signature_header):
            raise ValueError("templates and signature_header are for hooks only")
        return self


class IntegrationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    target: Target | None = None
    is_active: StrictBool | None = None
    signature_header: HeaderName | None = None
    templates: HookTemplates | None = None


class IntegrationOut(BaseModel):
    """An integration as the API shows it: never its token or secret (only whether set)."""

    id: int
    kind: Kind
    name: str
    target: Target
    is_active: bool
    url: str
    signature_header: str | None
    templates: HookTemplates | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class IntegrationCreated(IntegrationOut):
    """The answer to a create: the credential, shown this once."""

    token: str | None = None
    secret: str | None = None


class IntegrationDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    status: str
    status_code: int
    event: str | None
    delivery_id: str | None
    error: str | None
    notifications: int
    payload: str
    payload_truncated: bool


class Accepted(BaseModel):
    """What an inbound request became."""

    status: str
    notifications: int = 0
    message: str | None = None

"""/api/notifications/topic-access (notifications:admin): the topics' access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications.dependencies import NotificationsAdmin
from wakedock.notifications.topics import service
from wakedock.notifications.topics.schemas import TOPIC_PATTERN, TopicAccessIn, TopicAccessOut

router = APIRouter(
    prefix="/api/notifications/topic-access", tags=["topic access"], responses=ERROR_RESPONSES
)

TopicParam = Annotated[str, Path(pattern=TOPIC_PATTERN, description="ntfy's topic syntax")]


@router.get("", summary="List the topics' access rules (topics without one follow the default)")
async def list_rules(_: NotificationsAdmin, db: DbSession) -> list[TopicAccessOut]:
    return [TopicAccessOut.model_validate(r) for r in await service.list_rules(db)]


@router.get("/{topic}", summary="Get a topic's access rule")
async def get_rule(topic: TopicParam, _: NotificationsAdmin, db: DbSession) -> TopicAccessOut:
    return TopicAccessOut.model_validate(await service.get_or_raise(db, topic))


@router.put("/{topic}", summary="Set a topic's access rule (whole)")
async def put_rule(
    topic: TopicParam,
    body: TopicAccessIn,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
) -> TopicAccessOut:
    row = await service.put(db, actor=admin.acting(meta), topic=topic, data=body)
    return TopicAccessOut.model_validate(row)


@router.delete(
    "/{topic}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a topic's access rule (the default rule applies again)",
)
async def delete_rule(
    topic: TopicParam, admin: NotificationsAdmin, db: DbSession, meta: RequestMeta
) -> Response:
    await service.delete(db, actor=admin.acting(meta), topic=topic)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

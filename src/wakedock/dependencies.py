"""Core request dependencies: settings and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.broker import Broker
from wakedock.settings import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_broker(request: Request) -> Broker | None:
    broker: Broker | None = getattr(request.app.state, "broker", None)
    return broker


AppSettings = Annotated[Settings, Depends(get_app_settings)]
AppBroker = Annotated[Broker | None, Depends(get_broker)]
DbSession = Annotated[AsyncSession, Depends(get_db)]

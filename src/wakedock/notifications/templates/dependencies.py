"""The app's template renderer pool, for routes that render or save templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wakedock.notifications.templates.pool import TemplateRenderer


async def get_renderer(request: Request) -> TemplateRenderer:
    renderer: TemplateRenderer = request.app.state.renderer
    return renderer


Renderer = Annotated[TemplateRenderer, Depends(get_renderer)]

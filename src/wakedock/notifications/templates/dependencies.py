"""The app's template renderer pool, for routes that render or save templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from wakedock.errors import ErrorResponse
from wakedock.notifications.templates.pool import TemplateRenderer

# Declared by every route that renders a template (``pool.TemplateRenderer``'s queue is full).
RENDERERS_BUSY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Every template renderer is busy (Retry-After)"}
}


async def get_renderer(request: Request) -> TemplateRenderer:
    renderer: TemplateRenderer = request.app.state.renderer
    return renderer


Renderer = Annotated[TemplateRenderer, Depends(get_renderer)]

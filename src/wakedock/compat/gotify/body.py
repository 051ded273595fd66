"""A Gotify request body: JSON, or a form (urlencoded or multipart) as Gotify also takes."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from wakedock.compat.gotify.errors import GotifyError

Model = TypeVar("Model", bound=BaseModel)
_INT = re.compile(r"-?\d{1,19}")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
    return "; ".join(parts)


def is_form(content_type: str) -> bool:
    """Whether a ``Content-Type`` value names a form (read by Starlette's form parser)."""
    return content_type.split(";", 1)[0].strip().lower() in _FORMS


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise GotifyError("the body is neither JSON nor a form") from None


async def _raw(request: Request, int_fields: tuple[str, ...]) -> Any:
    if is_form(request.headers.get("content-type", "")):
        form = await request.form(max_files=0, max_fields=50)
        values: dict[str, Any] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise GotifyError("files are not accepted")
            if key in int_fields and _INT.fullmatch(value.strip()):
                values[key] = int(value)
            else:
                values[key] = value
        return values
    return _json(await request.body())


def validate(data: Any, model: type[Model]) -> Model:
    """``data`` as ``model``; anything wrong with it is a 400 in Gotify's shape."""
    if not isinstance(data, dict):
        raise GotifyError("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise GotifyError(_describe(exc)) from None
    except RecursionError:
        raise GotifyError("the body is nested too deeply") from None


async def parse(request: Request, model: type[Model], *, int_fields: tuple[str, ...] = ()) -> Model:
    """The body as ``model``; anything wrong with it is a 400 in Gotify's shape."""
    return validate(await _raw(request, int_fields), model)


def parse_json(raw: bytes, model: type[Model]) -> Model:
    """A body that is not a form (``is_form``), already read, as ``parse`` reads it."""
    return validate(_json(raw), model)

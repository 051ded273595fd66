"""Sandboxed Jinja2: templates cannot reach Python internals, missing variables are errors."""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wakedock.errors import ValidationFailed

_text_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_html_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
MAX_RENDERED = 100_000


def _env(html: bool) -> ImmutableSandboxedEnvironment:
    return _html_env if html else _text_env


def check_syntax(source: str, *, field: str, html: bool = False) -> None:
    """Compile once to report a syntax error as a 422 naming the field and line."""
    try:
        _env(html).parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"{field}: template syntax error on line {exc.lineno}: {exc.message}",
            field=f"body.{field}",
        ) from None


def render(source: str, variables: dict[str, Any], *, field: str, html: bool = False) -> str:
    """Render or raise a 422 that names the field and the problem (never a blank result)."""
    try:
        result = _env(html).from_string(source).render(**variables)
    except UndefinedError as exc:
        raise ValidationFailed(
            f"{field}: missing variable: {exc.message}", field="body.variables"
        ) from None
    except SecurityError as exc:
        raise ValidationFailed(
            f"{field}: not allowed in a template: {exc}", field=f"body.{field}"
        ) from None
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"{field}: template syntax error on line {exc.lineno}: {exc.message}",
            field=f"body.{field}",
        ) from None
    except TemplateError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=f"body.{field}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed(f"{field}: render failed: {exc}", field=f"body.{field}") from None
    if len(result) > MAX_RENDERED:
        raise ValidationFailed(f"{field}: rendered text is too long", field=f"body.{field}")
    return result

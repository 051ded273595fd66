"""The template sandbox: what a notification template may compute and print.

Jinja2's ``ImmutableSandboxedEnvironment`` keeps templates away from Python internals (no
``__class__``, no mutation of lists and dicts, ``range`` capped at 100,000 items). It does not
bound the work or the memory a template asks for, and a few of its failures are not template
errors at all. This module closes those gaps *inside* the sandbox, so the usual attacks fail
early with a clear message:

- ``*``, ``**`` and ``%`` are intercepted: a text or list longer than the output limit
  (``'a' * 10**9``), an integer beyond ``MAX_INT_BITS`` (``10 ** 10 ** 9``) or a ``%`` width
  beyond the limit is refused before Python allocates it. The filters that widen text
  (``center``, ``indent``, ``replace``, ``format``, ``wordwrap``) and ``str.format`` field
  widths/precisions are checked the same way; ``lipsum`` is capped.
- ``str.format`` / ``format_map`` failures (``'{a}'.format_map({})`` → KeyError) and every other
  exception a template raises become a ``TemplateProblem`` (a 422 upstream, never a 500).
- Printing is limited to values: ``finalize`` refuses callables, methods, iterators and other
  objects (``{{ {}.items }}`` would print ``<built-in method … at 0x7f…>``); an output or error
  message that would still show a memory address (``{{ x|string }}``) is refused too.
- Output is produced chunk by chunk and stops at the limit, instead of being built whole.

What this module cannot bound — a loop of 10^10 empty iterations, any allocation it did not
foresee — is bounded from outside: it runs only in renderer subprocesses (``renderer.py``) with
an address-space limit, killed by the parent (``pool.py``) at the deadline. Pure: no I/O, no
import of the web stack (the subprocess imports only this and Jinja2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, update_wrapper
from typing import Any

from jinja2 import (
    ChainableUndefined,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_replace, do_wordwrap
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import generate_lorem_ipsum
from markupsafe import EscapeFormatter, Markup

MAX_INT_BITS = 64_000  # ~19,000 digits: far beyond any real message, far below a stall
MAX_LIPSUM_WORDS = 10_000
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,}")
_DIGITS = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_PRINTABLE_DEPTH = 8


class TemplateProblem(Exception):
    """A template failed; ``kind`` says how (the parent turns it into a 422 naming the part).

    Kinds: ``syntax``, ``undefined``, ``security``, ``limit`` (refused before it grew too
    large), ``memory`` (the address-space limit was hit), ``error`` (anything else).
    """

    def __init__(self, kind: str, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = _clean_message(message)
        self.line = line


def _clean_message(message: str) -> str:
    """Error texts may quote an object's repr: never its address, never pages of it."""
    message = _ADDRESS.sub("", message)
    return message if len(message) <= 300 else message[:297] + "..."


class _Limit(Exception):
    """Raised inside a render when an operation would exceed a limit (→ kind ``limit``)."""


def _repeat_size(seq: object, times: object) -> int | None:
    if isinstance(seq, str | list | tuple) and isinstance(times, int):
        return len(seq) * times
    return None


def _check_width(spec: str, limit: int, what: str) -> None:
    for digits in _DIGITS.findall(spec):
        if len(digits) > 18 or int(digits) > limit:
            raise _Limit(f"{what} width or precision {digits[:20]} is over the limit of {limit}")


def _check_percent(fmt: str, args: object, limit: int) -> None:
    """``fmt % args``: no width/precision (literal or ``*``) beyond the output limit."""
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for value in (width, precision):
            if value.isdigit():
                _check_width(value, limit, "a % format")
    if "*" in fmt:
        values = args if isinstance(args, tuple) else (args,)
        for value in values:
            if isinstance(value, int) and abs(value) > limit:
                raise _Limit(f"a % format width {value} is over the limit of {limit}")


class _Formatter(SandboxedFormatter):
    """``str.format`` in the sandbox, with field widths and precisions bounded."""

    limit = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_width(format_spec, self.limit, "a format")
        return super().format_field(value, format_spec)


class _EscapeFormatter(_Formatter, EscapeFormatter):
    pass


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the operations that can explode checked before they run."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *, html: bool, strict: bool, max_output: int) -> None:
        super().__init__(
            undefined=StrictUndefined if strict else ChainableUndefined,
            autoescape=html,
            finalize=_printable,
        )
        self.max_output = max_output
        self.filters.update(
            center=self._center,
            indent=self._indent,
            replace=self._replace(),
            format=self._format,
            wordwrap=self._wordwrap(),
        )
        self.globals["lipsum"] = self._lipsum

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limit = self.max_output
        if operator == "*":
            size = _repeat_size(left, right) or _repeat_size(right, left)
            if size is not None and size > limit:
                raise _Limit(f"'*' would make {size} items or characters (the limit is {limit})")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise _Limit("'*' would make a number too large to print")
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and (right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS)
        ):
            raise _Limit("'**' would make a number too large to print")
        elif operator == "%" and isinstance(left, str):
            _check_percent(left, right, limit)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` with bounded widths and clean errors."""
        if not callable(value) or getattr(value, "__name__", None) not in ("format", "format_map"):
            return None
        f_self = getattr(value, "__self__", None)
        if not isinstance(f_self, str):
            return None
        formatter: _Formatter
        if isinstance(f_self, Markup):
            formatter = _EscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _Formatter(self)
        formatter.limit = self.max_output
        is_map = value.__name__ == "format_map"
        str_type = type(f_self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one positional argument")
                kwargs, args = args[0], ()
            try:
                return str_type(formatter.vformat(f_self, args, kwargs))
            except KeyError as exc:
                raise TypeError(
                    f"the format string names {exc} but no value has that name"
                ) from None
            except IndexError:
                raise TypeError("the format string needs more values than were given") from None

        return update_wrapper(wrapper, value)

    # The filters that can widen text, checked against the output limit first.

    def _center(self, value: Any, width: int = 80) -> str:
        if isinstance(width, int) and width > self.max_output:
            raise _Limit(f"center width {width} is over the limit of {self.max_output}")
        return do_center(value, width)

    def _indent(
        self, s: Any, width: int | str = 4, first: bool = False, blank: bool = False
    ) -> str:
        lines = str(s).count("\n") + 1
        unit = width if isinstance(width, int) else len(str(width))
        if unit * lines > self.max_output:
            raise _Limit(
                f"indent would add {unit * lines} characters (the limit is {self.max_output})"
            )
        return do_indent(s, width, first, blank)

    def _replace(self) -> Callable[..., str]:
        limit = self.max_output

        @pass_eval_context
        def replace(ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> str:
            text, old_s, new_s = str(s), str(old), str(new)
            hits = text.count(old_s) if old_s else len(text) + 1
            if count is not None and count >= 0:
                hits = min(hits, count)
            if len(text) + hits * max(len(new_s) - len(old_s), 0) > limit:
                raise _Limit(f"replace would make more than {limit} characters")
            return do_replace(ctx, s, old, new, count)

        return replace

    def _format(self, value: Any, *args: Any, **kwargs: Any) -> str:
        _check_percent(str(value), tuple(args) if args else kwargs, self.max_output)
        return do_format(value, *args, **kwargs)

    def _wordwrap(self) -> Callable[..., str]:
        env = self

        def wordwrap(
            s: Any,
            width: int = 79,
            break_long_words: bool = True,
            wrapstring: str | None = None,
            break_on_hyphens: bool = True,
        ) -> str:
            if wrapstring is not None and len(str(wrapstring)) * len(str(s)) > env.max_output:
                raise _Limit(f"wordwrap would make more than {env.max_output} characters")
            return do_wordwrap(env, s, width, break_long_words, wrapstring, break_on_hyphens)

        return wordwrap

    def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if not all(isinstance(v, int) for v in (n, min, max)) or n * max > MAX_LIPSUM_WORDS:
            raise _Limit(f"lipsum is limited to {MAX_LIPSUM_WORDS} words")
        return str(generate_lorem_ipsum(n, html, min, max))


def _plain(value: object, depth: int = 0) -> bool:
    """A value that prints as data: text, numbers, booleans, None, lists and dicts of those."""
    if value is None or isinstance(value, str | int | float):
        return True
    if depth >= _PRINTABLE_DEPTH:
        return False
    if isinstance(value, list | tuple):
        return all(_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _printable(value: Any) -> Any:
    """``finalize``: what ``{{ … }}`` may print (an Undefined reports itself when printed)."""
    if isinstance(value, Undefined) or _plain(value):
        return value
    kind = "function or method" if callable(value) else type(value).__name__
    raise SecurityError(
        f"cannot print a {kind}: print text, numbers, booleans, null, or lists and objects of those"
    )


@lru_cache(maxsize=4)
def environment(html: bool, strict: bool, max_output: int) -> SandboxEnvironment:
    return SandboxEnvironment(html=html, strict=strict, max_output=max_output)


@lru_cache(maxsize=64)
def _compiled(source: str, html: bool, strict: bool, max_output: int) -> Template:
    return environment(html, strict, max_output).from_string(source)


def literal(source: str) -> str | None:
    """What Jinja2 would render for a source with no markup at all, or None if it has some.

    Jinja2 prints plain text as is (not escaped, even with autoescape), except that it drops
    one trailing newline and normalises ``\\r\\n``; a source with ``{`` or ``\\r`` is not
    treated here. Lets the parent answer the common fixed parts without a round trip.
    """
    if "{" in source or "\r" in source or " at 0x" in source:
        return None
    return source[:-1] if source.endswith("\n") else source


def render(
    source: str, variables: Mapping[str, Any], *, html: bool, strict: bool, max_output: int
) -> str:
    """Render one part, or raise ``TemplateProblem``. ``strict=False`` is the trial render of a
    template being saved: undefined names are empty, so the whole template runs."""
    try:
        template = _compiled(source, html, strict, max_output)
    except TemplateSyntaxError as exc:
        raise TemplateProblem("syntax", exc.message or "invalid", line=exc.lineno) from None
    except RecursionError:
        raise TemplateProblem("syntax", "the template nests too deeply") from None
    try:
        return _join(template.generate(**variables), max_output)
    except TemplateProblem:
        raise
    except _Limit as exc:
        raise TemplateProblem("limit", str(exc)) from None
    except UndefinedError as exc:
        raise TemplateProblem("undefined", exc.message or "undefined") from None
    except SecurityError as exc:
        raise TemplateProblem("security", str(exc)) from None
    except TemplateSyntaxError as exc:  # an include/import compiled at run time
        raise TemplateProblem("syntax", exc.message or "invalid", line=exc.lineno) from None
    except MemoryError:
        raise TemplateProblem("memory", "out of memory") from None
    except RecursionError:
        raise TemplateProblem("error", "recursion too deep") from None
    except Exception as exc:  # the template's own failure, whatever Python raised
        raise TemplateProblem("error", str(exc) or type(exc).__name__) from None


def _join(chunks: Iterable[str], max_output: int) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_output:
            raise TemplateProblem("limit", f"rendered text is longer than {max_output} characters")
        parts.append(chunk)
    text = "".join(parts)
    if _ADDRESS.search(text):
        raise TemplateProblem(
            "security", "the output would show an object's memory address: print values only"
        )
    return text


__all__ = ["SandboxEnvironment", "TemplateProblem", "environment", "literal", "render"]

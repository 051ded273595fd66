"""The template sandbox (pure): what a template may compute and print, as tables of cases."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wakedock.notifications.templates.sandbox import TemplateProblem, literal, render

LIMIT = 1000


def run(source: str, strict: bool = True, html: bool = False, **variables: Any) -> str:
    return render(source, variables, html=html, strict=strict, max_output=LIMIT)


@pytest.mark.parametrize(
    ("source", "variables", "expected"),
    [
        ("{{ a }} and {{ b }}", {"a": 1, "b": "two"}, "1 and two"),
        ("{{ 'ab' * 3 }}{{ [0] * 2 }}{{ 2 ** 10 }}{{ 7 % 3 }}", {}, "ababab[0, 0]10241"),
        ("{{ '%05.1f' % x }}|{{ '{:>6}'.format(x) }}", {"x": 2.25}, "002.2|  2.25"),
        ("{{ '%s-%s'|format(1, 2) }}{{ 'x'|center(5) }}", {}, "1-2  x  "),
        ("{{ '{a}'.format_map(d) }}", {"d": {"a": "ok"}}, "ok"),
        ("{{ s|replace('a', 'bb') }}", {"s": "banana"}, "bbbnbbnbb"),
        ("{{ none }} {{ true }} {{ [1, {'k': [none]}] }}", {}, "None True [1, {'k': [None]}]"),
        ("{% for i in range(3) %}{{ loop.index }}{% endfor %}", {}, "123"),
        ("{{ lipsum(1, false, 2, 5)|length > 0 }}", {}, "True"),
    ],
)
def test_ordinary_templates_render(source: str, variables: dict[str, Any], expected: str) -> None:
    assert run(source, **variables) == expected


@pytest.mark.parametrize(
    ("source", "variables", "kind", "says"),
    [
        ("{{ 'a' * 10**9 }}", {}, "limit", "would make 1000000000"),
        ("{{ 10**9 * [1] }}", {}, "limit", "would make 1000000000"),
        ("{{ s * n }}", {"s": "ab", "n": 501}, "limit", "1002 items or characters"),
        ("{{ 2 ** 100000 }}", {}, "limit", "too large"),
        ("{{ (2**40000) * (2**40000) }}", {}, "limit", "too large"),
        ("{{ '{:>2000}'.format(1) }}", {}, "limit", "width or precision 2000"),
        ("{{ '{:{w}}'.format(1, w=5000) }}", {}, "limit", "width or precision 5000"),
        ("{{ '%2000s' % 'x' }}", {}, "limit", "% format"),
        ("{{ '%.*f' % (5000, 1.0) }}", {}, "limit", "% format width 5000"),
        ("{{ 'x'|center(5000) }}", {}, "limit", "center width 5000"),
        ("{{ text|indent(100) }}", {"text": "a\n" * 20}, "limit", "indent would add"),
        ("{{ 'aaaa'|replace('', 'x' * 300) }}", {}, "limit", "replace would make"),
        ("{{ lipsum(10**6) }}", {}, "limit", "lipsum is limited"),
        ("{% for i in range(2000) %}x{% endfor %}", {}, "limit", "longer than 1000"),
        ("{{ range(200000) }}", {}, "error", "Range too big"),
        ("{{ '{a}'.format_map({}) }}", {}, "error", "names 'a'"),
        ("{{ '{}{}'.format(1) }}", {}, "error", "needs more values"),
        ("{{ 1 // 0 }}", {}, "error", "division"),
        ("{{ x }}", {}, "undefined", "'x' is undefined"),
        ("{% if %}", {}, "syntax", "Expected an expression"),
        ("{{ ''.__class__.__mro__ }}", {}, "security", "__class__"),
        ("{{ {}.items }}", {}, "security", "cannot print a function or method"),
        ("{{ [{}.items] }}", {}, "security", "cannot print a list"),
        ("{{ {}.items|string }}", {}, "security", "memory address"),
        ("{{ joiner() }}", {}, "security", "cannot print a function"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", {}, "error", "recursion"),
    ],
)
def test_what_a_template_may_not_do_is_a_clean_problem(
    source: str, variables: dict[str, Any], kind: str, says: str
) -> None:
    with pytest.raises(TemplateProblem) as caught:
        run(source, **variables)
    assert caught.value.kind == kind, caught.value.message
    assert says in caught.value.message
    assert " at 0x" not in caught.value.message


def test_the_trial_render_of_a_template_being_saved_treats_undefined_names_as_empty() -> None:
    assert run("{{ user.name }}|{% for x in items %}{{ x }}{% endfor %}|end", strict=False) == (
        "||end"
    )
    with pytest.raises(TemplateProblem) as caught:
        run("{% for i in range(100000) %}{% for j in range(100) %}x{% endfor %}{% endfor %}")
    assert caught.value.kind == "limit"


def test_html_parts_are_escaped_and_markup_format_is_bounded() -> None:
    assert run("<b>{{ x }}</b>", html=True, x="<i>") == "<b>&lt;i&gt;</b>"
    with pytest.raises(TemplateProblem):
        run("{{ '{:>5000}'|safe|format(1) }}", html=True)


@pytest.mark.parametrize(
    "source",
    ["plain", "two\nlines", "trailing\n", "two trailing\n\n", "", "\n", "<b>html</b>", "a % b"],
)
@pytest.mark.parametrize("html", [False, True])
def test_a_source_without_markup_is_answered_as_jinja_would(source: str, html: bool) -> None:
    """The fast path (no round trip to a renderer) gives exactly Jinja2's result."""
    jinja = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=html)
    assert literal(source) == jinja.from_string(source).render()


@pytest.mark.parametrize("source", ["{{ x }}", "{# c #}", "{% raw %}", "a\r\nb", "<f at 0x7f00>"])
def test_a_source_with_anything_jinja_treats_specially_is_rendered(source: str) -> None:
    assert literal(source) is None

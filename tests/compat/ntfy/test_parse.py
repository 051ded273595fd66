"""ntfy's request vocabulary (pure): priorities, tags, actions, since, topic names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wakedock.compat.ntfy import parse
from wakedock.compat.ntfy.errors import NtfyError

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 3), ("", 3), ("1", 1), ("5", 5), ("min", 1), ("low", 2), ("default", 3),
     ("HIGH", 4), ("max", 5), ("urgent", 5), (4, 4)],
)  # fmt: skip
def test_priority(value: str | int | None, expected: int) -> None:
    assert parse.priority(value) == expected


@pytest.mark.parametrize("value", ["0", "6", "-1", "99999999999999999999", "x", 0, 6, True, "1.5"])
def test_priority_out_of_range_is_40007(value: str | int) -> None:
    with pytest.raises(NtfyError) as exc:
        parse.priority(value)
    assert (exc.value.code, exc.value.http) == (40007, 400)


def test_tags() -> None:
    assert parse.tags("warning, skull,,backup ") == ["warning", "skull", "backup"]
    assert parse.tags(["a", " b "]) == ["a", "b"]
    with pytest.raises(NtfyError):
        parse.tags(",".join(f"t{i}" for i in range(11)))
    with pytest.raises(NtfyError):
        parse.tags([1])  # type: ignore[list-item]


def test_actions_short_form_positional_and_keyed() -> None:
    got = parse.actions(
        "view, Open portal, https://home.example/, clear=true; "
        "http, Turn down, https://api.example/?a=b, method=PUT, headers.Authorization=Bearer x, "
        "body='{\"temp\": 65}'"
    )
    assert got == [
        {"action": "view", "label": "Open portal", "url": "https://home.example/", "clear": True},
        {
            "action": "http",
            "label": "Turn down",
            "url": "https://api.example/?a=b",
            "clear": False,
            "method": "PUT",
            "headers": {"Authorization": "Bearer x"},
            "body": '{"temp": 65}',
        },
    ]
    keyed = parse.actions("action=view, label=Site, url=https://x.example")
    assert keyed[0]["url"] == "https://x.example"


def test_actions_json_form() -> None:
    got = parse.actions('[{"action": "view", "label": "Logs", "url": "https://l.example"}]')
    assert got == [{"action": "view", "label": "Logs", "url": "https://l.example", "clear": False}]


@pytest.mark.parametrize(
    "value",
    [
        "view, No url",
        "broadcast, Take picture, extras.cmd=pic",
        "dial, Call, tel:1",
        "view, A, https://a; view, B, https://b; view, C, https://c; view, D, https://d",
        "[{",
        "view, 'unterminated, https://x",
        '[{"action": "http", "label": "x", "url": "https://x", "method": "TRACE"}]',
    ],
)
def test_actions_refused_with_40018(value: str) -> None:
    with pytest.raises(NtfyError) as exc:
        parse.actions(value)
    assert exc.value.code == 40018


def test_since_forms() -> None:
    assert parse.since(None, poll=False, now=NOW).none
    assert parse.since(None, poll=True, now=NOW).everything
    assert parse.since("all", poll=False, now=NOW).everything
    assert parse.since("latest", poll=False, now=NOW).latest
    assert parse.since("none", poll=True, now=NOW).none
    assert parse.since("10m", poll=False, now=NOW).at == NOW - timedelta(minutes=10)
    assert parse.since("2h", poll=False, now=NOW).at == NOW - timedelta(hours=2)
    stamp = int((NOW - timedelta(days=1)).timestamp())
    assert parse.since(str(stamp), poll=False, now=NOW).at == NOW - timedelta(days=1)
    assert parse.since("wd42", poll=False, now=NOW).after_id == 42
    for bad in ("wd", "abc", "10x", "wd99999999999999999999", "-5"):
        with pytest.raises(NtfyError) as exc:
            parse.since(bad, poll=False, now=NOW)
        assert exc.value.code == 40008


def test_topics() -> None:
    assert parse.topics("a,b,a") == ["a", "b"]
    with pytest.raises(NtfyError) as exc:
        parse.topics("ok,api")
    assert exc.value.code == 40010
    with pytest.raises(NtfyError) as exc:
        parse.check_topic("x" * 65)
    assert exc.value.code == 40009


@pytest.mark.parametrize(
    ("path", "routed"),
    [("backups", True), ("api", False), ("API", False), ("metrics", False), ("message", False),
     ("apis", True), ("a-b_c9", True), ("x" * 64, True), ("x" * 65, False), ("a.b", False)],
)  # fmt: skip
def test_route_pattern_never_takes_a_reserved_name(path: str, routed: bool) -> None:
    import re

    assert bool(re.fullmatch(parse.TOPIC_PATH, path)) is routed


def test_publish_parameters_are_read_in_ntfys_order() -> None:
    """Each parameter: its first spelling with a non-blank header, else its first with a
    non-blank query value (stripped); unknown names and case-different query keys ignored."""
    headers = {"title": "second", "x-title": "  first  ", "t": "third", "x-priority": " ", "p": "4"}
    query = {"title": "from query", "tags": "a,b", "Tags": "no", "m": "", "message": "hi"}
    assert parse.read_params(headers, query) == {
        "title": "first",
        "priority": "4",
        "tags": "a,b",
        "message": "hi",
    }
    assert parse.read_params({}, {}) == {}
    assert parse.read_params({"x-delay": "", "in": "10m", "x-at": "x"}, {}) == {"delay": "x"}

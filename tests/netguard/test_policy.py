"""The outbound guard's address policy, as tables: every spelling of a non-public address is
refused, public ones pass, the allow-list and the off switch do what they say.

Regression for issue 17 finding 13: ``[::7f00:1]`` (IPv4-compatible IPv6) and other IPv6 forms
carrying a private IPv4 address passed the old guards as public.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wakedock.netguard import NetPolicy, TargetRefused, policy_for
from wakedock.netguard.policy import non_global_reason, parse_address, parse_literal
from wakedock.settings import Settings

GUARD_ON = NetPolicy()

# (host as written in a URL, the address it names)
LITERALS = [
    ("127.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("[::1]", "::1"),
    ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ("[fe80::1%eth0]", "fe80::1"),
    ("fe80::1%25eth0", "fe80::1"),
    ("8.8.8.8", "8.8.8.8"),
    ("example.com", None),
    ("localhost", None),
    ("deadbeef", None),
    ("1.2.3.4.5", None),
    ("", None),
]


@pytest.mark.parametrize(("host", "address"), LITERALS)
def test_every_literal_spelling_names_one_address(host: str, address: str | None) -> None:
    parsed = parse_literal(host)
    assert (None if parsed is None else str(parsed)) == address


REFUSED = [
    # IPv4 special-purpose ranges
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "private"),  # carrier-grade NAT
    ("0.0.0.0", "private"),  # noqa: S104
    ("0.1.2.3", "private"),
    ("192.0.0.8", "private"),
    ("192.0.2.1", "private"),
    ("198.18.0.1", "private"),
    ("198.51.100.7", "private"),
    ("203.0.113.9", "private"),
    ("192.88.99.1", "private"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    # IPv6 ranges
    ("::1", "loopback"),
    ("::", "IPv4-compatible or unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),  # site-local, deprecated
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("100::1", "private"),  # discard-only
    ("2001:db8::1", "reserved"),
    ("3fff::1", "reserved"),
    ("2001:2::1", "reserved"),
    # IPv6 forms that carry an IPv4 address
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254"),
    ("::7f00:1", "IPv4-compatible"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::a00:1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),  # deprecated form: refused whatever it carries
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
    ("64:ff9b:1::808:808", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4 form of 127.0.0.1"),
    ("2002:c0a8:101::1", "6to4 form of 192.168.1.1"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of 127.0.0.1"),  # client 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    why = non_global_reason(parse_address(address))
    assert why is not None
    assert reason in why
    with pytest.raises(TargetRefused, match="non-public address"):
        GUARD_ON.check(address, address)


PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81c::200e",
    "::ffff:8.8.8.8",  # a mapped public address reaches that address
    "64:ff9b::808:808",  # NAT64 of a public address
    "2002:808:808::1",  # 6to4 of a public address
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert non_global_reason(parse_address(address)) is None
    GUARD_ON.check(address, address)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "api.localhost",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.0.0.1.",
        "[::1]",
        "[::7f00:1]",
        "[::ffff:127.0.0.1]",
        "[fe80::1%eth0]",
        "169.254.169.254",
    ],
)
def test_literal_hosts_are_refused_before_any_lookup(host: str) -> None:
    with pytest.raises(TargetRefused):
        GUARD_ON.check_literal(host)


def test_names_are_left_to_resolution() -> None:
    GUARD_ON.check_literal("example.com")
    GUARD_ON.check_literal("localhost.example.com")


@pytest.mark.parametrize(
    ("allowed", "address", "ok"),
    [
        (["127.0.0.0/8"], "127.0.0.1", True),
        (["127.0.0.0/8"], "::ffff:127.0.0.1", True),  # the same address, mapped
        (["127.0.0.0/8"], "10.0.0.1", False),
        (["127.0.0.2/32"], "127.0.0.1", False),
        (["10.0.0.0/8", "fd00::/8"], "fd12::1", True),
        (["10.0.0.0/8", "fd00::/8"], "fe80::1", False),
        (["192.168.1.0/24"], "8.8.8.8", True),  # public addresses need no listing
    ],
)
def test_allowed_networks(allowed: list[str], address: str, ok: bool) -> None:
    policy = NetPolicy.build(allow_all=False, allowed=allowed)
    assert (policy.refusal(parse_address(address)) is None) is ok


def test_localhost_follows_the_allow_list_and_the_off_switch_allows_everything() -> None:
    NetPolicy.build(allow_all=False, allowed=["127.0.0.0/8"]).check_literal("localhost")
    with pytest.raises(TargetRefused):
        NetPolicy.build(allow_all=False, allowed=["10.0.0.0/8"]).check_literal("localhost")
    off = NetPolicy.build(allow_all=True)
    off.check_literal("localhost")
    for address, _ in REFUSED:
        off.check(address, address)


def test_the_refusal_names_the_address_the_reason_and_the_setting() -> None:
    with pytest.raises(TargetRefused) as caught:
        GUARD_ON.check("hooks.example.com", "10.0.0.7")
    message = str(caught.value)
    assert "non-public address 10.0.0.7 for 'hooks.example.com'" in message
    assert "private" in message
    assert "WAKEDOCK_ALLOWED_NETWORKS" in message
    assert isinstance(caught.value, PermissionError)


def test_the_policy_comes_from_one_setting_and_its_deprecated_alias(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAKEDOCK_ALLOWED_NETWORKS", "10.0.0.0/8, 127.0.0.1/32")
    monkeypatch.setenv("WAKEDOCK_DASHBOARDS_ALLOWED_NETWORKS", "192.168.0.0/16")
    policy = policy_for(Settings())
    assert policy.allow_all is False
    for address in ("10.1.2.3", "127.0.0.1", "192.168.1.1", "8.8.8.8"):
        assert policy.refusal(parse_address(address)) is None, address
    for address in ("127.0.0.2", "172.16.0.1", "::1"):
        assert policy.refusal(parse_address(address)) is not None, address
    monkeypatch.setenv("WAKEDOCK_ALLOW_PRIVATE_TARGETS", "true")
    assert policy_for(Settings()).allow_all is True
    monkeypatch.setenv("WAKEDOCK_ALLOWED_NETWORKS", "10.0.0.0/8,not-a-network")
    with pytest.raises(ValidationError, match="not an IP network"):
        Settings()

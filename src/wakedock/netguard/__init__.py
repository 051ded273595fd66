"""The one outbound network guard: every connection WakeDock makes to a configured target
(webhooks, web push, SMTP, Apprise, dashboard data sources) goes through here.

- ``policy``: which addresses are allowed (pure, table-tested).
- ``resolve``: resolve a host, check every answer, connect to a checked address.
- ``http``: httpx clients whose connects are checked (no redirects, no proxy environment).
- ``threads``: blocking libraries (Apprise) checked at ``socket.connect`` by an audit hook.

``policy_for(settings)`` builds the policy from ``WAKEDOCK_ALLOW_PRIVATE_TARGETS`` (guard off)
and ``WAKEDOCK_ALLOWED_NETWORKS`` (plus its deprecated alias
``WAKEDOCK_DASHBOARDS_ALLOWED_NETWORKS``). It is read per call, so a changed setting applies at
once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wakedock.netguard.policy import NetPolicy, TargetRefused

if TYPE_CHECKING:
    from wakedock.settings import Settings

__all__ = ["NetPolicy", "TargetRefused", "policy_for"]


def policy_for(settings: Settings) -> NetPolicy:
    """The deployment's outbound policy."""
    return NetPolicy.build(
        allow_all=settings.allow_private_targets,
        allowed=[*settings.allowed_networks, *settings.dashboards_allowed_networks],
    )

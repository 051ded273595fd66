"""GitHub webhook events mapped to readable notifications.

Handled: ``push``, ``release``, ``workflow_run``, ``issues``, ``pull_request``; ``ping`` is
answered and sends nothing; any other event (or an action of a handled event that says
nothing new, such as a workflow run ``requested``) is acknowledged with 202 and ignored, so
a hook set to "send me everything" does not flood anyone. A workflow run's notifications
share a group_key per run, so "completed" replaces "in progress"; an issue's or pull
request's share one per number, so its latest state is what stays.
"""

from __future__ import annotations

from typing import Any

from wakedock.integrations.items import KEY_MAX, MESSAGE_MAX, TITLE_MAX, Item, clip, web_url
from wakedock.notifications.schemas import NotificationType, Priority

EVENTS = ("push", "release", "workflow_run", "issues", "pull_request")


def _get(payload: dict[str, Any], *path: str) -> Any:
    value: Any = payload
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(payload: dict[str, Any], *path: str, limit: int = 200) -> str:
    value = _get(payload, *path)
    return clip(value, limit) if isinstance(value, str | int) else ""


def item(event: str, payload: dict[str, Any], *, integration_id: int) -> Item | None:
    """The notification for one event, or None when the event is ignored."""
    repo = _text(payload, "repository", "full_name") or "a repository"
    sender = _text(payload, "sender", "login") or "someone"
    action = _text(payload, "action", limit=32)
    prefix = f"github:{integration_id}:{repo}"
    data = {"source": "github", "event": event, "action": action or None, "repository": repo}
    if event == "push":
        commits = _get(payload, "commits")
        count = len(commits) if isinstance(commits, list) else 0
        ref = _text(payload, "ref")
        branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        lines = []
        for commit in (commits or [])[:5] if isinstance(commits, list) else []:
            if isinstance(commit, dict):
                first = _text(commit, "message", limit=500).split("\n", 1)[0]
                lines.append(f"{_text(commit, 'id')[:7]} {clip(first, 120)}")
        if count > 5:
            lines.append(f"… and {count - 5} more")
        title = f"{sender} pushed {count} commit{'s' if count != 1 else ''} to {repo}:{branch}"
        if _get(payload, "deleted") is True:
            title = f"{sender} deleted {branch} in {repo}"
        return Item(
            title=clip(title, TITLE_MAX),
            message=clip("\n".join(lines), MESSAGE_MAX),
            type=NotificationType.DEPLOYMENT.value,
            action_url=web_url(_get(payload, "compare")),
            data=data,
        )
    if event == "release":
        if action not in ("published", "released", "prereleased"):
            return None
        name = _text(payload, "release", "name") or _text(payload, "release", "tag_name")
        return Item(
            title=clip(f"Release {name} published in {repo}", TITLE_MAX),
            message=clip(_text(payload, "release", "body", limit=MESSAGE_MAX), MESSAGE_MAX),
            type=NotificationType.DEPLOYMENT.value,
            action_url=web_url(_get(payload, "release", "html_url")),
            data=data,
        )
    if event == "workflow_run":
        if action not in ("completed", "in_progress"):
            return None
        run = _text(payload, "workflow_run", "name") or "Workflow"
        branch = _text(payload, "workflow_run", "head_branch")
        conclusion = _text(payload, "workflow_run", "conclusion", limit=32)
        run_id = _text(payload, "workflow_run", "id", limit=32)
        failed = conclusion in ("failure", "timed_out", "startup_failure")
        state = conclusion or "in progress" if action == "completed" else "in progress"
        return Item(
            title=clip(f"{run} {state.replace('_', ' ')} on {repo}:{branch}", TITLE_MAX),
            message=clip(_text(payload, "workflow_run", "display_title", limit=500), MESSAGE_MAX),
            type=(NotificationType.ERROR if failed else NotificationType.DEPLOYMENT).value,
            priority=(Priority.HIGH if failed else Priority.NORMAL).value,
            action_url=web_url(_get(payload, "workflow_run", "html_url")),
            group_key=f"{prefix}:run:{run_id}"[:KEY_MAX] if run_id else None,
            data=data,
        )
    if event in ("issues", "pull_request"):
        if action not in ("opened", "closed", "reopened"):
            return None
        noun, key = ("Issue", "issue") if event == "issues" else ("Pull request", "pull_request")
        number = _text(payload, key, "number", limit=16)
        what = _text(payload, key, "title")
        verb = action
        if action == "closed" and _get(payload, "pull_request", "merged") is True:
            verb = "merged"
        return Item(
            title=clip(f"{noun} #{number} {verb} in {repo}: {what}", TITLE_MAX),
            message=clip(f"by {sender}\n\n" + _text(payload, key, "body", limit=2000), MESSAGE_MAX),
            type=NotificationType.INFO.value,
            action_url=web_url(_get(payload, key, "html_url")),
            group_key=f"{prefix}:{key}:{number}"[:KEY_MAX] if number else None,
            data=data,
        )
    return None

"""E-mail channel over SMTP (aiosmtplib): plain text plus an optional HTML part."""

from __future__ import annotations

import asyncio
import html
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from typing import Annotated, Any

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field, SecretStr, Strict, StringConstraints

from wakedock.email_address import EmailAddress
from wakedock.netguard import TargetRefused
from wakedock.netguard.resolve import open_socket
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext

SECRET_FIELDS = ("password",)


class TlsMode(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    port: Annotated[int, Strict(), Field(ge=1, le=65535)] = 587
    tls_mode: TlsMode = TlsMode.STARTTLS
    username: Annotated[str, StringConstraints(max_length=255)] | None = None
    password: SecretStr | None = None
    from_address: EmailAddress
    from_name: Annotated[str, StringConstraints(max_length=100)] = "WakeDock"
    timeout_seconds: Annotated[float, Strict(), Field(gt=0, le=120)] = 20.0


def validate(config: dict[str, Any]) -> None:
    EmailConfig.model_validate(config)


def build(parsed: EmailConfig, message: OutgoingMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((parsed.from_name, str(parsed.from_address)))
    mail["To"] = formataddr((message.recipient_name or "", message.recipient_email or ""))
    mail["Subject"] = message.email_subject or message.title
    mail["Message-ID"] = make_msgid(domain=str(parsed.from_address).split("@", 1)[1])
    text = message.body if len(message.notifications) <= 1 else _digest_text(message)
    if message.url:
        text += f"\n\n{message.url}"
    mail.set_content(text)
    html_body = message.email_html or _default_html(message)
    mail.add_alternative(html_body, subtype="html")
    return mail


def _digest_text(message: OutgoingMessage) -> str:
    lines = [message.body, ""]
    for item in message.notifications:
        lines.append(f"- [{item['priority']}] {item['title']}")
        if item.get("message"):
            lines.append(f"  {item['message']}")
    return "\n".join(lines)


def _default_html(message: OutgoingMessage) -> str:
    items = (
        "".join(
            f"<li><strong>{html.escape(n['title'])}</strong>"
            f"<br>{html.escape(n.get('message') or '')}</li>"
            for n in message.notifications
        )
        if len(message.notifications) > 1
        else f"<p>{html.escape(message.body)}</p>"
    )
    link = f'<p><a href="{html.escape(message.url)}">Open</a></p>' if message.url else ""
    return f"<h2>{html.escape(message.title)}</h2>{items}{link}"


async def send(config: dict[str, Any], message: OutgoingMessage, *, context: SendContext) -> None:
    parsed = EmailConfig.model_validate(config)
    if not message.recipient_email:
        raise DeliveryError("the recipient has no e-mail address", permanent=True)
    mail = build(parsed, message)
    try:
        # Connected here, to an address the guard checked; aiosmtplib keeps the host name for
        # TLS (SNI and certificate checks) and owns the socket from then on.
        async with asyncio.timeout(parsed.timeout_seconds):
            sock = await open_socket(parsed.host, parsed.port, context.policy)
    except TimeoutError:
        raise DeliveryError(f"SMTP failure: connecting to {parsed.host} timed out") from None
    except OSError as exc:
        if isinstance(exc, TargetRefused):
            raise
        raise DeliveryError(f"SMTP failure: cannot connect ({type(exc).__name__})") from None
    try:
        await aiosmtplib.send(
            mail,
            hostname=parsed.host,
            sock=sock,
            username=parsed.username,
            password=parsed.password.get_secret_value() if parsed.password else None,
            use_tls=parsed.tls_mode == TlsMode.TLS,
            start_tls=parsed.tls_mode == TlsMode.STARTTLS,
            timeout=parsed.timeout_seconds,
        )
    except aiosmtplib.SMTPResponseException as exc:
        # 5xx is a permanent refusal (bad address, auth); 4xx is temporary.
        raise DeliveryError(
            f"SMTP {exc.code}: {exc.message[:200]}", permanent=exc.code >= 500
        ) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP failure: {type(exc).__name__}") from None

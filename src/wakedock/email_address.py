"""E-mail addresses as a self-hosted service meets them: home-network domains are normal.

pydantic's ``EmailStr`` (email-validator) wants a globally deliverable address, so it refuses
``admin@localhost`` (the first admin's default), ``nas@printer.local``, ``me@box.home.arpa`` and
``x@ci.test``: issue 21, the first admin could not even change its password. ``EmailAddress``
checks the syntax the same way (the local part by email-validator) and accepts, beside every
address email-validator accepts, a domain that is ``localhost`` or ends in ``.localhost``,
``.local``, ``.lan``, ``.home.arpa``, ``.internal`` or ``.test``. Deliverability is never
looked up (no DNS from a validator). The result is lower-cased in its domain only, as
email-validator normalises.
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

HOME_NETWORK_SUFFIXES = ("local", "lan", "home.arpa", "internal", "test", "localhost")
MAX_LENGTH = 320
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PLACEHOLDER_DOMAIN = "example.com"  # stands in for a home domain while the local part is checked


def _home_domain(domain: str) -> bool:
    """A syntactically valid host name under one of the home-network suffixes."""
    if len(domain) > 253 or not all(_LABEL.match(label) for label in domain.split(".")):
        return False
    return any(domain == s or domain.endswith("." + s) for s in HOME_NETWORK_SUFFIXES)


def normalize_email(value: str) -> str:
    """The address normalised, or ValueError with a sentence a person understands."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        local, at, domain = value.rpartition("@")
        domain = domain.lower()
        if not at or not _home_domain(domain):
            raise ValueError(f"not a valid e-mail address: {exc}") from None
        try:
            checked = validate_email(f"{local}@{_PLACEHOLDER_DOMAIN}", check_deliverability=False)
        except EmailNotValidError as inner:
            raise ValueError(f"not a valid e-mail address: {inner}") from None
        return f"{checked.local_part}@{domain}"


EmailAddress = Annotated[
    str, StringConstraints(min_length=3, max_length=MAX_LENGTH), AfterValidator(normalize_email)
]

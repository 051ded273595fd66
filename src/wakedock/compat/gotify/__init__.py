"""Gotify's API at the root (``/message``, ``/application``, ``/client``, ``/stream``...).

Applications and clients are WakeDock API tokens underneath (hashed, scoped, revocable,
audited, listed with the account's tokens); a published message is an ordinary WakeDock
notification made by the notifications service. docs/compat.md, "Gotify", tells what is
supported.
"""

"""The web UI's "Connected apps": a user's Gotify applications and clients and ntfy access
tokens, managed with the UI's own session under ``/api/compat`` (WakeDock's error shape and
OpenAPI document), through the same services the Gotify routes use."""

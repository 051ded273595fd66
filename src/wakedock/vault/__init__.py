"""Secrets at rest: the encryption keys (``keys``), sealed values (``sealing``) and the stored
secrets of channels and data sources (``stored``: re-encrypt on rotation, check readability)."""

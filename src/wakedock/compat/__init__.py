"""Other notification services' protocols, spoken by WakeDock: a tool or phone app written
for them works with WakeDock by changing a URL. Each protocol is a package of its own
(``gotify``, ``ntfy``); published messages become ordinary notifications through the
notifications service."""

"""The ntfy-compatible API (https://docs.ntfy.sh): publish and subscribe at the root, as ntfy
serves them. ``router`` mounts the routes (last, so every WakeDock route wins), ``parse`` reads
ntfy's headers and query parameters (pure), ``service`` turns a publish into a notification and
a notification into ntfy's message JSON, ``stream`` serves the subscriptions, ``access``
resolves the caller from ntfy's forms of credentials, ``errors`` is ntfy's error shape."""

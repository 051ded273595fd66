"""The baseline: a minimal raw `websockets` broadcast server, the Python limit on this machine.

Clients connect to ``/``; a message ``{"burst": N, "notification": {...}}`` from any client makes
the server broadcast N notification messages (that one, with ids 1..N) to every other client with
``websockets.broadcast``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve

CLIENTS: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    CLIENTS.add(ws)
    try:
        await ws.send('{"type":"hello"}')
        async for raw in ws:
            request = json.loads(raw)
            if "burst" in request:
                others = [c for c in CLIENTS if c is not ws]
                # The notification to send: a copy of one WakeDock sent (the same fields and
                # bytes, so the load generator's work per message is the same), or a small one.
                sample = request.get("notification")
                note = sample or {"title": "burst", "message": "x" * 300}
                for seq in range(int(request["burst"])):
                    note = {**note, "id": seq + 1}
                    if sample is None:
                        note["sent_at"] = time.time()
                    broadcast(others, json.dumps({"type": "notification", "notification": note}, separators=(",", ":")))
                    await asyncio.sleep(0)
    finally:
        CLIENTS.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, backlog=4096, max_queue=None, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1])))

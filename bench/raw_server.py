"""The baseline: a minimal raw `websockets` broadcast server, the Python limit on this machine.

Clients connect to ``/``; a message ``{"burst": N, "size": S}`` from any client makes the server
broadcast N JSON messages of about S bytes to every other client with ``websockets.broadcast``.
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
                filler = "x" * max(0, int(request.get("size", 300)) - 120)
                for seq in range(int(request["burst"])):
                    message = json.dumps({"type": "notification", "notification": {
                        "id": seq + 1, "title": "burst", "message": filler, "sent_at": time.time()}})
                    broadcast(others, message)
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

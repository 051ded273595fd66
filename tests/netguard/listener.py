"""A real HTTP server on a loopback address that counts every TCP connection it accepts.

The guard's tests assert on ``connections``: a refused target must not even be connected to.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Listener:
    host: str
    port: int = 0
    connections: int = 0
    paths: list[str] = field(default_factory=list)
    answer: Callable[[str, str], Answer] = lambda _method, _path: (200, {}, b"{}")

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@contextmanager
def listening(host: str = "127.0.0.1", **kwargs: Any) -> Iterator[Listener]:
    """Serve HTTP on ``host`` (a free port) for the duration of the block."""
    state = Listener(host=host, **kwargs)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with lock:
                state.paths.append(self.path)
            status, headers, body = state.answer(self.command, self.path)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args: Any) -> None:
            return None

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            with lock:
                state.connections += 1
            return True

    server = Server((host, 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

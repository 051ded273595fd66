"""Retries against a real server behind a loopback proxy that loses answers: the request
reaches WakeDock and is done, the client gets a 502. A send (it carries an idempotency key) is
retried and creates one notification; a delete is not retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.realtime.conftest import Api, Server
from wakedock.client import Client, ServerError

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # starts `wakedock serve`


class LosingProxy(ThreadingHTTPServer):
    upstream: str
    lose: int = 0  # how many of the next answers to replace with a 502 (after forwarding)
    seen: list[str]


class Handler(BaseHTTPRequestHandler):
    server: LosingProxy

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization",)}
        if body:
            headers["Content-Type"] = "application/json"
        answer = httpx.request(
            self.command, self.server.upstream + self.path, content=body, headers=headers
        )
        self.server.seen.append(f"{self.command} {self.path.split('?')[0]}")
        if self.server.lose > 0:
            self.server.lose -= 1
            status, payload = 502, b'{"error": {"code": "bad_gateway", "message": "lost"}}'
        else:
            status, payload = answer.status_code, answer.content
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy(server: Server) -> Iterator[LosingProxy]:
    proxy = LosingProxy(("127.0.0.1", 0), Handler)
    proxy.upstream, proxy.seen = server.http, []
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join()


def test_a_send_whose_answer_was_lost_is_retried_once_created(
    proxy: LosingProxy, user: Api
) -> None:
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    with Client(url, user.token) as client:
        proxy.lose = 2
        sent = client.send("exactly once")
        assert sent.replayed  # the third try got the original result back
        assert proxy.seen == ["POST /api/notifications"] * 3
        assert [n.id for n in client.list().items] == [sent.notifications[0].id]

        proxy.seen.clear()
        proxy.lose = 1
        with pytest.raises(ServerError) as exc:
            client.delete(sent.notifications[0].id)  # not safe to repeat: sent once
        assert (exc.value.status, exc.value.code) == (502, "bad_gateway")
        assert proxy.seen == [f"DELETE /api/notifications/{sent.notifications[0].id}"]
        assert client.list().items == []

        proxy.lose = 10
        proxy.seen.clear()
        with Client(url, user.token, retries=2) as impatient, pytest.raises(ServerError):
            impatient.list()
        assert len(proxy.seen) == 3

"""``wakedock listen`` as a real subprocess: live, across a server restart with nothing missed
or repeated, resumed after its own restart, ``--exec`` with the fields in env vars."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.client.conftest import Cli, logged_in
from tests.realtime.conftest import Server, admin, new_user

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # starts `wakedock serve`

WAIT = 20.0


class Lines:
    """The lines a stream gives, read on a thread, awaited with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))

    def next(self, containing: str = "", timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line with {containing!r}; saw {self.seen}") from None
            self.seen.append(line)
            if containing in line:
                return line


class Listener:
    def __init__(self, cli: Cli, *args: str) -> None:
        self.proc = cli.popen("listen", *args)
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.out = Lines(self.proc.stdout)
        self.err = Lines(self.proc.stderr)

    def ids(self, count: int) -> list[int]:
        try:
            return [json.loads(self.out.next())["id"] for _ in range(count)]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; stderr: {self.err.seen}") from None

    def close(self) -> None:
        self.out.thread.join(5)  # the process has ended: its pipes are at their end
        self.err.thread.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    started: list[Listener] = []
    yield started
    for listener in started:
        if listener.proc.poll() is None:
            listener.proc.kill()
        listener.proc.wait()
        listener.close()


def test_listen_across_a_server_restart_and_its_own(
    server: Server, cli: Cli, listeners: list[Listener]
) -> None:
    user = new_user(server.http)
    logged_in(cli, server, user)
    listener = Listener(cli, "--json")
    listeners.append(listener)
    listener.err.next("connected")
    first = [user.notify(f"n{i}")["id"] for i in (1, 2)]
    assert listener.ids(2) == first

    server.stop()  # the socket drops; the listener retries with backoff
    listener.err.next("disconnected")
    server.start()
    during = user.notify("sent while it reconnects")["id"]  # replayed or live: once either way
    listener.err.next("connected")
    after = user.notify("after")["id"]
    assert listener.ids(2) == [during, after]

    assert listener.stop(signal.SIGINT) == 130  # Ctrl-C: the conventional 130
    state = json.loads((cli.config_dir / "listen-state.json").read_text())
    assert list(state.values()) == [after]
    missed = [user.notify(f"while stopped {i}")["id"] for i in (1, 2)]

    again = Listener(cli, "--json")
    listeners.append(again)
    assert again.ids(2) == missed  # resumed from the last one handled: nothing twice
    live = user.notify("live again")["id"]
    assert again.ids(1) == [live]
    assert again.stop(signal.SIGTERM) == 0


def test_exec_gets_the_fields_in_env_vars_never_a_shell_string(
    server: Server, cli: Cli, tmp_path: Path, listeners: list[Listener]
) -> None:
    user = new_user(server.http)
    logged_in(cli, server, user)
    out = tmp_path / "out.txt"
    command = (
        'printf "%s|%s|%s|%s|%s\\n" "$WAKEDOCK_ID" "$WAKEDOCK_TITLE" "$WAKEDOCK_PRIORITY"'
        f' "$WAKEDOCK_MESSAGE" "${{WAKEDOCK_TOKEN:-no token}}" >> {out}'
    )
    listener = Listener(cli, "--exec", command)
    listeners.append(listener)
    listener.err.next("connected")
    evil = f"$(touch {tmp_path}/pwned); touch {tmp_path}/pwned2 `id`"
    sent = user.notify(evil, message="m'\"; exit 3", priority="high")["id"]

    deadline = time.monotonic() + WAIT
    while not out.exists() or not out.read_text().endswith("\n"):
        assert time.monotonic() < deadline, listener.err.seen
        time.sleep(0.05)
    assert out.read_text() == f"{sent}|{evil}|high|m'\"; exit 3|no token\n"
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "pwned2").exists()
    assert listener.stop() == 130


def test_listen_topics_and_wrong_token(server: Server, cli: Cli, listeners: list[Listener]) -> None:
    boss, user = admin(server.http), new_user(server.http)
    assert user.post("/api/notifications/subscriptions", {"topic": "deploys"}).status_code == 201
    logged_in(cli, server, user)
    listener = Listener(cli, "--topic", "deploys")
    listeners.append(listener)
    listener.err.next("connected")
    boss.notify("not this", user_id=user.user_id)
    boss.post("/api/notifications", {"title": "deployed v2", "topic": "deploys"})
    assert "[normal] deployed v2" in listener.out.next()
    listener.stop()
    assert listener.out.seen == [listener.out.seen[0]]

    cli.extra_env["WAKEDOCK_TOKEN"] = "wdk_wrong"
    refused = cli.run("listen")
    assert refused.returncode == 1
    assert "(invalid_token)" in refused.stderr

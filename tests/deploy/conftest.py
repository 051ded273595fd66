"""Real reverse proxies (Debian's nginx and caddy) in front of a real ``wakedock serve``, run
from the configuration files shipped in deploy/ (the ones docs/deploy.md includes), changed
only where a test must: loopback ports, a test certificate, a private prefix. Each proxy runs
in the foreground (no daemon) in a temporary directory; nothing outside it is touched.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import REQUIRE_SERVICES, free_port
from tests.realtime.conftest import Server, server_env
from wakedock.web.spa import PACKAGED_DIST

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX_CONF = DEPLOY / "nginx" / "wakedock.conf"
CADDYFILE = DEPLOY / "caddy" / "Caddyfile"
UPSTREAM = "127.0.0.1:8000"  # where the shipped files expect `wakedock serve`
MAX_PER_IP = 3


def unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (WAKEDOCK_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def replace_once(text: str, old: str, new: str) -> str:
    """The shipped file changed so this no longer applies: the test must follow it."""
    assert text.count(old) == 1, f"expected {old!r} exactly once in the shipped config"
    return text.replace(old, new)


@dataclass
class Tls:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_tls(directory: Path) -> Tls:
    """A self-signed certificate for 127.0.0.1, trusted by the tests' clients only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wakedock test proxy")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    tls = Tls(directory / "cert.pem", directory / "key.pem")
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


@dataclass
class Proxy:
    name: str
    port: int
    tls: Tls
    proc: subprocess.Popen[bytes]
    log: Path
    # Client addresses this proxy's tests connect from (the throttle counts per address).
    clients: tuple[str, str]

    @property
    def http(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    def client(self, source: str = "127.0.0.1", **kwargs: object) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source, verify=self.tls.context())
        return httpx.Client(base_url=self.http, transport=transport, timeout=10, **kwargs)  # type: ignore[arg-type]

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.http, verify=self.tls.context(), timeout=10, **kwargs
        )  # type: ignore[arg-type]


def nginx_config(prefix: Path, port: int, backend: int, tls: Tls) -> Path:
    site = NGINX_CONF.read_text()
    # The HTTP-to-HTTPS redirect listens on port 80: not here.
    site = replace_once(site, "    listen 80;\n", f"    listen 127.0.0.1:{free_port()};\n")
    site = replace_once(site, "    listen [::]:80;\n", "")
    site = replace_once(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
    site = replace_once(site, "    listen [::]:443 ssl http2;\n", "")
    site = replace_once(site, f"server {UPSTREAM};", f"server 127.0.0.1:{backend};")
    site = replace_once(
        site, "/etc/letsencrypt/live/wakedock.example.com/fullchain.pem", str(tls.cert)
    )
    site = replace_once(
        site, "/etc/letsencrypt/live/wakedock.example.com/privkey.pem", str(tls.key)
    )
    (prefix / "wakedock.conf").write_text(site)
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    main = prefix / "nginx.conf"
    # What /etc/nginx/nginx.conf provides around a site file, in the test's own prefix.
    main.write_text(
        f"""
daemon off;
user root;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix / "access.log"};
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {prefix / "wakedock.conf"};
}}
"""
    )
    return main


def caddy_config(prefix: Path, port: int, backend: int, tls: Tls) -> Path:
    site = CADDYFILE.read_text()
    site = replace_once(
        site,
        "wakedock.example.com {\n",
        f"https://127.0.0.1:{port} {{\n\ttls {tls.cert} {tls.key}\n",
    )
    site = replace_once(
        site, f"reverse_proxy {UPSTREAM} {{", f"reverse_proxy 127.0.0.1:{backend} {{"
    )
    # Global options: no admin endpoint, no ACME, no HTTP redirect listener, nothing outside
    # the prefix (storage).
    config = prefix / "Caddyfile"
    config.write_text(
        f"{{\n\tadmin off\n\tauto_https disable_redirects\n"
        f"\tstorage file_system {prefix / 'data'}\n}}\n\n{site}"
    )
    return config


def start_proxy(name: str, tmp: Path, backend: int, tls: Tls, clients: tuple[str, str]) -> Proxy:
    binary = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).is_file()), None
    )
    if binary is None:
        unavailable(f"{name} not found: apt-get install {name}")
    assert binary is not None
    port = free_port()
    prefix = tmp / name
    prefix.mkdir()
    env = {**os.environ, "HOME": str(prefix), "XDG_DATA_HOME": str(prefix / "data")}
    env["XDG_CONFIG_HOME"] = str(prefix / "config")
    if name == "nginx":
        conf = nginx_config(prefix, port, backend, tls)
        command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    else:
        conf = caddy_config(prefix, port, backend, tls)
        command = [binary, "run", "--config", str(conf), "--adapter", "caddyfile"]
    log = prefix / "proxy.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(command, env=env, stdout=handle, stderr=handle, cwd=prefix)
    proxy = Proxy(name, port, tls, proc, log, clients)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert time.monotonic() < deadline, f"{name} did not listen: {log.read_text()[-2000:]}"
            time.sleep(0.05)  # polling for the listener
    return proxy


def stop_proxy(proxy: Proxy) -> None:
    if proxy.proc.poll() is None:
        proxy.proc.terminate()
        try:
            proxy.proc.wait(10)
        except subprocess.TimeoutExpired:
            proxy.proc.kill()
            proxy.proc.wait()


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``wakedock serve`` (with the built UI) for every proxy of the module."""
    if not (PACKAGED_DIST / "index.html").is_file():
        unavailable("web UI not built: run `make web`")
    tmp = tmp_path_factory.mktemp("backend")
    env = server_env(
        tmp,
        WAKEDOCK_LOGIN_MAX_FAILURES_PER_IP=str(MAX_PER_IP),
        WAKEDOCK_LOGIN_MAX_FAILURES_PER_USER="1000",
    )
    srv = Server(port=free_port(), env=env, log=tmp / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(
    scope="module",
    params=[("nginx", ("127.0.0.2", "127.0.0.3")), ("caddy", ("127.0.0.4", "127.0.0.5"))],
    ids=["nginx", "caddy"],
)
def proxy(
    request: pytest.FixtureRequest,
    backend: Server,
    tls: Tls,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Proxy]:
    name, clients = request.param
    started = start_proxy(name, tmp_path_factory.mktemp(name), backend.port, tls, clients)
    try:
        yield started
    finally:
        stop_proxy(started)

"""Photo URLs from cameras: only the vehicle's own address or an allowed host, no redirects."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from groundstation.video import photos

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


class _Handler(http.server.BaseHTTPRequestHandler):
    served: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.served.append(self.path)
        if self.path == "/photo.jpg":
            self.send_response(200)
            self.send_header("Content-Length", str(len(JPEG)))
            self.end_headers()
            self.wfile.write(JPEG)
            return
        self.send_response(302)
        self.send_header("Location", "/photo.jpg")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.9/images/1.jpg",  # another device on the network
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
        "http://localhost/images/1.jpg",  # a name, not the vehicle's address
        "http://10.0.0.5@127.0.0.1/images/1.jpg",  # user info hiding the real host
        "http://10.0.0.5:notaport/images/1.jpg",
    ],
)
def test_a_url_on_another_host_is_refused(url: str) -> None:
    """Any host but the vehicle's address or an allowed one is refused before any request."""
    with pytest.raises(photos.PhotoUrlRefused):
        photos.check_url(url, ["10.0.0.5"])


def test_the_vehicle_address_and_allowed_hosts_are_accepted() -> None:
    """The vehicle's address (IPv4-mapped too) and allow-listed names pass, any port."""
    assert photos.check_url("http://10.0.0.5:8080/a.jpg", ["::ffff:10.0.0.5"]) == "10.0.0.5"
    assert photos.check_url("https://CAM1.lan/a.jpg", ["10.0.0.5", "cam1.lan"]) == "cam1.lan"
    assert photos.check_url("http://[fe80::1]/a.jpg", ["fe80::1"]) == "fe80::1"


def test_a_non_http_url_is_a_fetch_error_not_a_refusal() -> None:
    """MAVLink FTP URLs are unsupported, said as such (not counted as hostile)."""
    with pytest.raises(photos.PhotoFetchError) as err:
        photos.check_url("mftp://[;comp=100]/DCIM/1.jpg", ["10.0.0.5"])
    assert not isinstance(err.value, photos.PhotoUrlRefused)


def test_the_allowed_host_is_fetched(server: http.server.HTTPServer) -> None:
    """A photo on an allowed host is downloaded."""
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/photo.jpg"
    assert photos._get(url, ["127.0.0.1"], 1 << 20, 5.0) == JPEG


def test_a_redirect_is_not_followed(server: http.server.HTTPServer) -> None:
    """A 302 (even to the same host) is refused; the target is never requested."""
    port = server.server_address[1]
    with pytest.raises(photos.PhotoUrlRefused, match="redirect \\(302\\)"):
        photos._get(f"http://127.0.0.1:{port}/moved.jpg", ["127.0.0.1"], 1 << 20, 5.0)
    assert _Handler.served[-1] == "/moved.jpg"


def test_an_environment_proxy_is_not_used(
    server: http.server.HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """http_proxy in the environment does not reroute camera downloads."""
    monkeypatch.setenv("http_proxy", "http://10.255.255.1:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/photo.jpg"
    assert photos._get(url, ["127.0.0.1"], 1 << 20, 5.0) == JPEG

"""A real HTTP server on 127.0.0.1 for tests: serves bytes or files, counts requests, injects faults.

    with FileServer() as srv:
        srv.add("/models/a.pt", path_or_bytes)                 # 200 with Content-Length
        srv.add("/bad.pt", data, corrupt=True)                 # same length, different bytes
        srv.add("/flaky.pt", data, drop_after=1 << 20, drops=1)  # first GET dies after 1 MiB
        srv.add("/slow.pt", data, delay_s=2.0)                 # spread the body over ~2 s
        srv.add("/gone.pt", b"", status=404)
        srv.add("/old.pt", b"", status=301, location="/new.pt")  # a redirect (301, 302, 307, 308)
        srv.add("/nohead.pt", data, head=False)                # HEAD answered 405
        url = srv.url("/models/a.pt"); srv.gets["/models/a.pt"]  # GET count per path
        srv.requests  # [(method, path), ...]; srv.finished[path]: when the last full body was sent

``dead_url()`` gives a URL on a port where nothing listens (connection refused). The server
itself is :class:`samzoo.resolver.mirror_server.LocalServer`; only the fault injection is here.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from samzoo.resolver.mirror_server import LocalServer

_CHUNK = 256 * 1024


@dataclass
class Route:
    body: bytes
    status: int = 200
    corrupt: bool = False
    drop_after: int | None = None
    drops: int = 0          # how many GETs are dropped after drop_after bytes (-1: all)
    delay_s: float = 0.0    # total time spread over the body
    location: str | None = None  # with a 3xx status: where it redirects
    head: bool = True       # False: HEAD is refused (405), as some storage servers do


class FileServer(LocalServer):
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.gets: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.finished: dict[str, float] = {}  # path -> time.time() when its last full body was sent
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._serve(send_body=False)

            def do_GET(self) -> None:
                self._serve(send_body=True)

            def _serve(self, send_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append((self.command, path))
                    if send_body:
                        server.gets[path] += 1
                    route = server.routes.get(path)
                    drop = False
                    if route is not None and send_body and route.drop_after is not None and route.drops != 0:
                        drop = True
                        if route.drops > 0:
                            route.drops -= 1
                if route is not None and not route.head and not send_body:
                    self.send_error(405)
                    return
                if route is not None and route.location is not None:
                    self.send_response(route.status)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route is None or route.status != 200:
                    self.send_error(404 if route is None else route.status)
                    return
                body = route.body
                if route.corrupt:
                    body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not send_body:
                    return
                end = min(route.drop_after, len(body)) if drop else len(body)
                pause = route.delay_s * _CHUNK / max(len(body), 1)
                try:
                    for start in range(0, end, _CHUNK):
                        self.wfile.write(body[start:min(start + _CHUNK, end)])
                        if pause:
                            time.sleep(pause)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if not drop:
                    with server._lock:
                        server.finished[path] = time.time()
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

        super().__init__(Handler)

    def add(self, path: str, content: bytes | str | Path, **options) -> str:
        """Serve ``content`` (bytes or a file's path) at ``path``; returns its URL."""
        body = content if isinstance(content, bytes) else Path(content).read_bytes()
        self.routes[path] = Route(body, **options)
        return self.url(path)


def dead_url(path: str = "/model.pt") -> str:
    """A URL where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"

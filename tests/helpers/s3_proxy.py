"""A real HTTP proxy on 127.0.0.1 in front of the S3 server, for the faults a storage server shows.

hypha signs its presigned URLs for this proxy (``--endpoint-url-public``), so every file samzoo
uploads or reads back passes through it::

    proxy.faults.append(Fault("vit_t.pt", drop_after=1 << 20))   # the next PUT of vit_t.pt dies after 1 MiB
    proxy.faults.append(Fault("rdf.yaml", corrupt=True, times=2)) # S3 stores other bytes, twice
    proxy.faults.append(Fault("vit_t.pt", bytes_per_s=2e6))       # a slow link (to interrupt an upload)
    proxy.puts["vit_t.pt"]                                        # PUTs per file name (complete or not)

Requests are forwarded unchanged otherwise (bodies are buffered: tests send small packages).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

_CHUNK = 256 * 1024


@dataclass
class Fault:
    name: str                       # the file name (last path component) it applies to
    times: int = 1                  # how many PUTs it applies to (-1: all)
    drop_after: int | None = None   # close the connection after this many body bytes
    corrupt: bool = False           # store different bytes of the same length
    bytes_per_s: float | None = None  # receive the body at this rate


class S3Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlparse(upstream)
        self.faults: list[Fault] = []
        self.puts: Counter[str] = Counter()
        self.put_started = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_PUT(self) -> None:
                proxy._put(self)

            def do_GET(self) -> None:
                proxy._forward(self, b"")

            def do_HEAD(self) -> None:
                proxy._forward(self, b"")

            def do_POST(self) -> None:
                proxy._forward(self, _body(self))

            def do_DELETE(self) -> None:
                proxy._forward(self, b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fault(self, name: str) -> Fault | None:
        with self._lock:
            self.puts[name] += 1
            for f in self.faults:
                if f.name == name and f.times != 0:
                    f.times -= 1 if f.times > 0 else 0
                    return f
        return None

    def _put(self, h: BaseHTTPRequestHandler) -> None:
        name = urlparse(h.path).path.rsplit("/", 1)[-1]
        fault = self._fault(name)
        self.put_started.set()
        if "chunked" in (h.headers.get("Transfer-Encoding") or ""):
            self._forward(h, _body(h))
            return
        size = int(h.headers.get("Content-Length") or 0)
        body = bytearray()
        while len(body) < size:
            chunk = h.rfile.read(min(_CHUNK, size - len(body)))
            if not chunk:
                return
            body += chunk
            if fault and fault.drop_after is not None and len(body) >= fault.drop_after:
                h.close_connection = True
                h.connection.shutdown(2)  # the server dies mid-upload: no answer at all
                return
            if fault and fault.bytes_per_s:
                time.sleep(len(chunk) / fault.bytes_per_s)
        if fault and fault.corrupt:
            body[:16] = bytes(b ^ 0xFF for b in body[:16])
        self._forward(h, bytes(body))

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection", "transfer-encoding")}
            headers["Host"] = self.upstream.netloc
            if h.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            conn.request(h.command, h.path, body=body if h.command in ("PUT", "POST") else None, headers=headers)
            r = conn.getresponse()
            h.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "server", "date"):
                    h.send_header(k, v)
            h.end_headers()
            if h.command != "HEAD":
                while chunk := r.read(_CHUNK):
                    h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        finally:
            conn.close()


def _body(h: BaseHTTPRequestHandler) -> bytes:
    """A request body, sized or chunked."""
    if "chunked" not in (h.headers.get("Transfer-Encoding") or ""):
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))
    out = bytearray()
    while True:
        size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            h.rfile.readline()
            return bytes(out)
        out += h.rfile.read(size)
        h.rfile.readline()

"""A small threaded HTTP server on 127.0.0.1: serve a folder (for instance a cache's ``weights/``) as a mirror.

    with MirrorServer(cache_root / "weights") as mirror:   # SAMZOO_MIRRORS=mirror.url
        ...
        mirror.sent                                      # paths of the GET requests served, in order

:class:`LocalServer` is the part every local server shares (a port chosen by the OS, a daemon
thread, ``url(path)``, start and stop as a context manager); give it any request handler class.
It listens on the loopback interface only.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path


class LocalServer:
    """A ``ThreadingHTTPServer`` on ``127.0.0.1`` (a free port) run by a daemon thread while in ``with``."""

    def __init__(self, handler_class: type[http.server.BaseHTTPRequestHandler]) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        """The URL of ``path`` (``/dir/file``) on this server."""
        return f"{self.base_url}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _FolderHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of one folder, quiet, recording each GET in its server's ``sent`` list."""

    def __init__(self, *args, sent: list[str], **kwargs) -> None:
        self._sent = sent
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._sent.append(self.path)
        super().do_GET()


class MirrorServer(LocalServer):
    """Serve the files under ``directory`` read-only (GET/HEAD); ``sent`` lists the GET paths served."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.sent: list[str] = []
        super().__init__(functools.partial(_FolderHandler, directory=str(self.directory), sent=self.sent))

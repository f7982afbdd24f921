"""The zoo client against a misbehaving server on 127.0.0.1: every fault is one bounded line, exit 1."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers.cli import run_cli
from samzoo.publisher.zoo_api import ZooApi, ZooError
from samzoo.publisher.zoo_server import UploadToken

SECRET = "eyJhbGciOiJIUzI1NiJ9.secret-token-value.signature"


class _Bad(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/", 1)[0]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if mode == "error500":
            self._send(500, b"Internal Server Error")
        elif mode == "html":
            self._send(200, b"<html>a login page</html>")
        elif mode == "loop":
            self.send_response(307)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b" " * (1 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif mode == "trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def bad_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.mark.parametrize("mode, says", [
    ("error500", "HTTP 500"),
    ("html", "not JSON"),
    ("loop", "redirect loop"),
    ("huge", "larger than"),
])
def test_a_bad_server_is_one_line_exit_1(bad_server, tmp_path, mode, says):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "rdf.yaml").write_text("type: model\nname: x\nformat_version: 0.5.4\n")
    start = time.monotonic()
    proc = run_cli("publish", str(pkg), "--server", f"{bad_server}/{mode}", "--skip-validation", "test", "--no-spec-check",
                   env={"BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": SECRET})
    assert time.monotonic() - start < 30
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


def test_a_trickling_answer_is_cut_at_the_deadline(bad_server):
    api = ZooApi(f"{bad_server}/trickle", UploadToken(SECRET, "test"), deadline_s=2)
    start = time.monotonic()
    with pytest.raises(ZooError, match="trickling") as e:
        api.call("read", artifact_id="bioimage-io/bioimage.io")
    assert time.monotonic() - start < 10
    assert SECRET not in str(e.value)


def test_a_dead_server_is_one_line():
    from helpers.http_server import dead_url

    api = ZooApi(dead_url().rstrip("/"), None)
    with pytest.raises(ZooError, match="cannot reach it"):
        api.call("read", artifact_id="bioimage-io/bioimage.io")


def test_only_the_draft_functions_can_be_called():
    api = ZooApi("http://127.0.0.1:9", None)
    for fn in ("commit", "delete", "publish"):
        with pytest.raises(ValueError, match="never calls"):
            api.call(fn, artifact_id="bioimage-io/x")


def test_the_token_is_never_shown():
    token = UploadToken(SECRET, "$BIOIMAGEIO_HYPHA_UPLOAD_TOKEN")
    assert SECRET not in repr(token) and SECRET not in str(token) and SECRET not in f"{token!r} {token}"

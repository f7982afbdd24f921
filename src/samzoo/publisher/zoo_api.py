"""A thin, bounded client of hypha's artifact manager over HTTP (``POST /public/services/artifact-manager/<fn>``).

Every answer is untrusted: JSON bodies are read to at most :data:`MAX_JSON_BYTES` within
:data:`CALL_DEADLINE_S` (a trickling server cannot hold a call for ever), redirects stop after
:data:`MAX_REDIRECTS`, and every failure becomes one :class:`ZooError` line that names what to do.
Only the functions in :data:`ALLOWED` can be called: a draft is never committed, published or deleted
by samzoo (that is the curators' step), whatever the server would allow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3

from ..plumbing.errors import RunTimeFailure, one_line
from .zoo_server import TOKEN_ENV, TOKEN_PAGE, UploadToken

ALLOWED = frozenset({"create", "edit", "put_file", "get_file", "list_files", "read", "remove_file"})
MAX_JSON_BYTES = 8 * 1024 * 1024
CALL_DEADLINE_S = 120.0
#: (connect, read) seconds: the read timeout bounds each wait for bytes; deadlines bound the whole
TIMEOUT = (10.0, 60.0)
MAX_REDIRECTS = 5
MAX_LISTED = 10_000
#: how long a presigned upload URL stays valid (a slow link may take hours for many GB)
UPLOAD_URL_S = 24 * 3600
MAX_DEPTH = 16
_CHUNK = 1024 * 1024


class ZooError(RunTimeFailure):
    """The zoo server refused or failed a request (exit 1); the message says what to do."""


class TokenRejected(ZooError):
    """401: the token is garbage, expired or signed by someone else."""


class NotAllowed(ZooError):
    """403: the token's user may not do this (no token, someone else's model)."""


class NotFound(ZooError):
    """404: no such artifact or file."""


class ZooApi:
    """``api.call("read", artifact_id=...)``; ``api.put_bytes(url, body, size)``; ``api.stream(url)``."""

    def __init__(self, server: str, token: UploadToken | None, *, deadline_s: float = CALL_DEADLINE_S) -> None:
        self.server = server
        self.token = token
        self.deadline_s = deadline_s
        self.session = requests.Session()
        self.session.max_redirects = MAX_REDIRECTS
        self.session.auth = _no_netrc  # proxies from the environment apply, ~/.netrc credentials never do
        self.session.headers["Accept-Encoding"] = "identity"  # sizes are bytes on the wire: no decompression bomb
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token.value}"

    def close(self) -> None:
        self.session.close()

    def _fail(self, what: str, problem: str, cls: type[ZooError] = ZooError) -> ZooError:
        text = one_line(f"{what}: {problem}")
        return cls(self.token.redact(text) if self.token else text)

    def call(self, fn: str, **body: Any) -> Any:
        """One artifact-manager function; its decoded JSON answer or a :class:`ZooError`."""
        if fn not in ALLOWED:
            raise ValueError(f"samzoo never calls the artifact manager's {fn!r}")
        url = f"{self.server}/public/services/artifact-manager/{fn}"
        what = f"zoo server {self.server} ({fn})"
        deadline = time.monotonic() + self.deadline_s
        with self._transport(what, "no answer in time; the server is down or overloaded, try again later",
                             "cannot reach it ({}); check the server URL and your connection, then run the same command again"), \
                self.session.post(url, json=body, timeout=TIMEOUT, stream=True) as r:
            data = _read_bounded(r, deadline)
            status = r.status_code
        return self._decode(what, status, data)

    @contextmanager
    def _transport(self, what: str, timed_out: str, broken: str) -> Iterator[None]:
        """Transport failures as one :class:`ZooError` line: a redirect loop, a timeout, a broken connection (``{}``: its cause)."""
        try:
            yield
        except requests.TooManyRedirects:
            raise self._fail(what, f"more than {MAX_REDIRECTS} redirects (a redirect loop); check the URL") from None
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise self._fail(what, timed_out) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError) as e:
            raise self._fail(what, broken.format(_cause(e))) from None
        except _TooLarge as e:
            raise self._fail(what, str(e)) from None

    def _decode(self, what: str, status: int, data: bytes) -> Any:
        detail = _detail(data)
        if status == 401:
            raise self._fail(what, f"the upload token was refused ({detail}); get a new one at {TOKEN_PAGE} and set {TOKEN_ENV}", TokenRejected)
        if status == 403:
            raise self._fail(what, f"not allowed ({detail})", NotAllowed)
        if status == 404:
            raise self._fail(what, f"not found ({detail})", NotFound)
        if status >= 400:
            raise self._fail(what, f"HTTP {status} ({detail}); try again later")
        try:
            return json.loads(data)
        except ValueError:
            raise self._fail(what, f"HTTP {status} but the answer is not JSON ({_snippet(data)}); is this a hypha server?") from None

    def file_url(self, artifact: str, path: str, *, upload: bool, stage: bool = True) -> str:
        """A presigned URL to upload (``put_file``) or download (``get_file``) one file of an artifact."""
        if upload:
            return self.upload_urls(artifact, [path])[path]
        return _checked_url(self.call("get_file", artifact_id=artifact, file_path=path, stage=stage), "get_file")

    def upload_urls(self, artifact: str, paths: list[str]) -> dict[str, str]:
        """Presigned upload URLs for many files in one call (valid :data:`UPLOAD_URL_S`)."""
        if not paths:
            return {}
        answer = self.call("put_file", artifact_id=artifact, file_path=list(paths), expires_in=UPLOAD_URL_S)
        if not isinstance(answer, dict) or set(answer) != set(paths):
            raise ZooError("the zoo server's put_file did not answer with one URL per file; is this a hypha server?")
        return {p: _checked_url(answer[p], "put_file") for p in paths}

    def list_all(self, artifact: str, stage: bool = True, folder: str = "", depth: int = 0) -> dict[str, int]:
        """Every file of an artifact (path -> size), folders walked to a bounded depth and count."""
        entries = self.call("list_files", artifact_id=artifact, stage=stage, **({"dir_path": folder} if folder else {}))
        if not isinstance(entries, list):
            raise ZooError("the zoo server's list_files did not answer with a list; is this a hypha server?")
        out: dict[str, int] = {}
        for e in entries[:MAX_LISTED]:
            if not isinstance(e, dict) or not isinstance(e.get("name"), str):
                continue
            path = f"{folder}/{e['name']}" if folder else e["name"]
            if e.get("type") == "directory" and depth < MAX_DEPTH:
                out.update(self.list_all(artifact, stage, path, depth + 1))
            elif isinstance(e.get("size"), int):
                out[path] = e["size"]
        return out

    def put_bytes(self, url: str, body: Any, size: int) -> None:
        """PUT ``body`` (a file-like object of ``size`` bytes) to a presigned URL as the raw request body."""
        what = f"uploading to {_where(url)}"
        headers = {"Content-Type": "", "Content-Length": str(size), "Authorization": None}
        with self._transport(what, "the storage server stopped answering; run the same command again to resume",
                             "the connection broke ({}); run the same command again to resume"), \
                self.session.put(url, data=body, headers=headers, timeout=TIMEOUT, stream=True) as r:
            data = _read_bounded(r, time.monotonic() + self.deadline_s)
            status = r.status_code
        if status >= 300:
            raise self._fail(what, f"HTTP {status} ({_snippet(data)}); run the same command again to resume")

    @contextmanager
    def stream(self, url: str, limit: int) -> Iterator[Iterator[bytes]]:
        """GET a file (presigned URL) as chunks; more than ``limit`` bytes is an error (the file is not what was sent)."""
        what = f"reading back from {_where(url)}"
        with self._transport(what, "the storage server stopped answering; run the same command again",
                             "the connection broke ({}); run the same command again"), \
                self.session.get(url, timeout=TIMEOUT, stream=True, headers={"Authorization": None}) as r:
            if r.status_code != 200:
                raise self._fail(what, f"HTTP {r.status_code}")
            yield _chunks_bounded(r, limit, what)


def _checked_url(answer: Any, fn: str) -> str:
    if not isinstance(answer, str) or not answer.startswith(("http://", "https://")) or len(answer) > 8192:
        raise ZooError(one_line(f"the zoo server's {fn} did not answer with a URL ({type(answer).__name__}); is this a hypha server?"))
    return answer


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An auth hook that adds nothing: with it set, requests never reads ``~/.netrc`` into our headers."""
    return request


class _TooLarge(Exception):
    pass


def _read_bounded(r: requests.Response, deadline: float) -> bytes:
    """The body, at most :data:`MAX_JSON_BYTES`, received before ``deadline``."""
    declared = r.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise _TooLarge(f"an answer of {int(declared)} bytes, more than the {MAX_JSON_BYTES} samzoo reads; is this a hypha server?")
    out = bytearray()
    read1 = getattr(r.raw, "read1", None)  # what has arrived, so a trickle meets the deadline check (urllib3 >= 2.1)
    chunks = iter(lambda: read1(64 * 1024), b"") if read1 else r.iter_content(64 * 1024)
    for chunk in chunks:
        out += chunk
        if len(out) > MAX_JSON_BYTES:
            raise _TooLarge(f"an answer larger than the {MAX_JSON_BYTES} bytes samzoo reads; is this a hypha server?")
        if time.monotonic() > deadline:
            raise _TooLarge("the answer kept trickling in past the deadline; try again later")
    return bytes(out)


def _chunks_bounded(r: requests.Response, limit: int, what: str) -> Iterator[bytes]:
    got = 0
    for chunk in r.iter_content(_CHUNK):
        got += len(chunk)
        if got > limit:
            raise ZooError(one_line(f"{what}: more than the {limit} bytes that were sent"))
        yield chunk


def _detail(data: bytes) -> str:
    """The server's own reason (hypha answers ``{"detail": "RemoteException: PermissionError: ..."}``)."""
    try:
        detail = json.loads(data).get("detail")
    except (ValueError, AttributeError):
        return _snippet(data)
    text = str(detail or "no reason given")
    for prefix in ("RemoteException: ", "Exception: "):
        text = text.removeprefix(prefix)
    return one_line(text, 200)


def _snippet(data: bytes) -> str:
    text = data[:120].decode("utf-8", "replace")
    return one_line(text, 100) if text.strip() else "an empty answer"


def _where(url: str) -> str:
    """A presigned URL without its query (the signature is nobody's business)."""
    return url.split("?", 1)[0]


def _cause(e: Exception) -> str:
    text = str(e)
    for marker in ("Connection refused", "Connection reset", "Connection aborted", "RemoteDisconnected", "timed out", "Name or service not known"):
        if marker in text:
            return marker
    return one_line(text, 120)

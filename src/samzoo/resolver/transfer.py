"""Download one URL into an open file, hashing the bytes as they arrive.

HTTP(S) is streamed with requests, with a per-read time-out and a minimum average rate, so
no server can hold a download for ever; ``file://`` URLs are copied. A progress
bar is drawn only when the caller passes ``progress`` (a factory of tqdm-like bars). Transient failures (connection
refused or dropped, time-outs, HTTP 5xx and 429) are retried with exponential
back-off, restarting the file from the beginning; other HTTP errors are not.
"""

from __future__ import annotations

import os
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..plumbing.errors import RunTimeFailure, SamzooError

CHUNK = 1024 * 1024
RETRIES = 2          # extra attempts per URL after the first
BACKOFF_S = 0.25     # first wait; doubles with each retry
TIMEOUT_S = 30       # a read may wait this long (SAMZOO_HTTP_TIMEOUT) ...
MIN_RATE = 10_000    # ... and after that long the average rate must stay above this, in bytes/s (SAMZOO_MIN_RATE)


class TransferError(RunTimeFailure):
    """One source failed; ``transient`` says whether another attempt may succeed."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Sink(Protocol):
    """Where a transfer writes: a file-like object that can start again (``HashingFile``)."""

    def reset(self) -> None: ...
    def write(self, data: bytes) -> int: ...
    def flush(self) -> None: ...


#: ``progress(label)`` returns a tqdm-like bar (``total``, ``update(n)``, ``reset()``, ``close()``)
Progress = Callable[[str], Any]


def file_url_path(url: str) -> Path:
    """The local path of a ``file://`` URL."""
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


def _describe(exc: BaseException) -> tuple[str, bool]:
    import requests
    import urllib3

    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "timed out", True
    if isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError)):
        return "connection dropped during the transfer", True
    if isinstance(exc, requests.TooManyRedirects):
        return "too many redirects (a redirect loop?)", False

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        code = exc.response.status_code
        return f"HTTP {code}", code >= 500 or code == 429
    if isinstance(exc, requests.Timeout):
        return "timed out", True
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped during the transfer", True
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect", True
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return first[:120], False


def _too_large(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise TransferError(f"larger than the {max_bytes} bytes allowed for this file", transient=False)


def _copy_file(url: str, out: Sink, bar: Any, max_bytes: int | None = None) -> None:
    path = file_url_path(url)
    try:
        with open(path, "rb") as src:
            if bar is not None:
                bar.total = path.stat().st_size
            size = 0
            while chunk := src.read(CHUNK):
                size += len(chunk)
                _too_large(size, max_bytes)
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
    except OSError as e:
        raise TransferError(f"{path}: {e.strerror}", transient=False) from None
    finally:
        if bar is not None:
            bar.close()


def _fetch_once(url: str, out: Sink, progress: Progress | None, max_bytes: int | None) -> None:
    bar = progress(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1] or url) if progress else None
    if url.startswith("file://"):
        _copy_file(url, out, bar, max_bytes)
        return
    import requests
    import urllib3

    try:
        _http_get(url, out, bar, max_bytes)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
        text, transient = _describe(e)
        raise TransferError(text, transient) from None
    finally:
        if bar is not None:
            bar.close()


def limits() -> tuple[float, float]:
    """(seconds a read may wait, minimum average bytes/s after that long): ``SAMZOO_HTTP_TIMEOUT``, ``SAMZOO_MIN_RATE``."""
    def number(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name, "") or default)
        except ValueError:
            raise SamzooError(f"{name}={os.environ[name]!r}: not a number of seconds or bytes per second") from None
        return value if value > 0 else default
    return number("SAMZOO_HTTP_TIMEOUT", TIMEOUT_S), number("SAMZOO_MIN_RATE", MIN_RATE)


def _http_get(url: str, out: Sink, bar: Any, max_bytes: int | None = None) -> None:
    """Stream ``url`` into ``out``; the whole transfer is bounded, not only each read.

    A read may wait ``SAMZOO_HTTP_TIMEOUT`` seconds; after that long, the average rate since the
    start must stay above ``SAMZOO_MIN_RATE`` bytes/s, so a server that trickles bytes ends the
    transfer ("too slow", not retried) instead of holding it for ever. A body shorter than its
    Content-Length is a dropped connection. ``max_bytes``: a larger body (announced or sent) is refused.
    """
    import requests

    timeout, min_rate = limits()
    start = time.monotonic()
    size = 0
    with requests.get(url, stream=True, timeout=(timeout, timeout)) as r:
        r.raise_for_status()
        total = int(r.headers.get("Content-Length") or 0) or None
        _too_large(total or 0, max_bytes)
        if bar is not None:
            bar.total = total
        while chunk := r.raw.read1(CHUNK):
            size += len(chunk)
            _too_large(size, max_bytes)
            out.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
            elapsed = time.monotonic() - start
            if elapsed > timeout and size < min_rate * elapsed:
                raise TransferError(
                    f"too slow ({size / elapsed / 1000:.1f} kB/s after {elapsed:.0f} s, below the minimum of "
                    f"{min_rate / 1000:g} kB/s that SAMZOO_MIN_RATE sets)", transient=False)
    if total is not None and size < total:
        raise requests.exceptions.ChunkedEncodingError(f"got {size} of {total} bytes")


def download(url: str, out: Sink, *, progress: Progress | None = None,
             retries: int = RETRIES, backoff_s: float = BACKOFF_S, max_bytes: int | None = None) -> None:
    """Fetch ``url`` into ``out`` (reset before each attempt); raise :class:`TransferError` when it fails.

    ``progress``: the caller's bar factory, called once per attempt with the file name; None draws nothing.
    ``max_bytes``: refuse a body larger than this (not retried).
    """
    for attempt in range(retries + 1):
        out.reset()
        try:
            _fetch_once(url, out, progress, max_bytes)
            return
        except TransferError as e:
            if not e.transient or attempt == retries:
                raise
        time.sleep(backoff_s * 2**attempt)

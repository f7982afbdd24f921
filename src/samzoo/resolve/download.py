"""Download one URL into an open file, hashing the bytes as they arrive.

HTTP(S) is streamed with requests (a progress bar when stderr is a terminal),
with a per-read time-out and a minimum average rate, so no server can hold a
download for ever; ``file://`` URLs are copied. Transient failures (connection
refused or dropped, time-outs, HTTP 5xx and 429) are retried with exponential
back-off, restarting the file from the beginning; other HTTP errors are not.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from ..errors import SamzooError
from ..hashing import hasher

CHUNK = 1024 * 1024
RETRIES = 2          # extra attempts per URL after the first
BACKOFF_S = 0.25     # first wait; doubles with each retry
TIMEOUT_S = 30       # a read may wait this long (SAMZOO_HTTP_TIMEOUT) ...
MIN_RATE = 10_000    # ... and after that long the average rate must stay above this, in bytes/s (SAMZOO_MIN_RATE)


class SourceError(SamzooError):
    """One source failed; ``transient`` says whether another attempt may succeed."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class HashingWriter:
    """A file-like object that writes to ``fileobj`` and feeds every byte to a hasher."""

    def __init__(self, fileobj: BinaryIO, alg: str) -> None:
        self.fileobj, self.alg = fileobj, alg
        self.reset()

    def reset(self) -> None:
        self.fileobj.seek(0)
        self.fileobj.truncate()
        self._h = hasher(self.alg)
        self.size = 0

    def write(self, data: bytes) -> int:
        self._h.update(data)
        self.size += len(data)
        return self.fileobj.write(data)

    def flush(self) -> None:
        pass  # pooch flushes after every chunk; the OS buffer is enough, the caller fsyncs

    @property
    def digest(self) -> str:
        return f"{self.alg}:{self._h.hexdigest()}"


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


def _limits() -> tuple[float, float]:
    """(seconds a read may wait, minimum average bytes per second after that long): SAMZOO_HTTP_TIMEOUT, SAMZOO_MIN_RATE."""
    def number(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name, "") or default)
        except ValueError:
            raise SamzooError(f"{name}={os.environ[name]!r}: not a number") from None
        return value if value > 0 else default
    return number("SAMZOO_HTTP_TIMEOUT", TIMEOUT_S), number("SAMZOO_MIN_RATE", MIN_RATE)


def _fetch_once(url: str, out: HashingWriter, progress: bool) -> None:
    if url.startswith("file://"):
        path = file_url_path(url)
        try:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
        except OSError as e:
            raise SourceError(f"{path}: {e.strerror}", transient=False) from None
        return
    import requests
    import urllib3

    try:
        _http_get(url, out, progress)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
        text, transient = _describe(e)
        raise SourceError(text, transient) from None


def _http_get(url: str, out: HashingWriter, progress: bool) -> None:
    """Stream ``url`` into ``out``; the whole transfer is bounded, not only each read.

    A read may wait ``SAMZOO_HTTP_TIMEOUT`` seconds; after that long, the average rate since the
    start must stay above ``SAMZOO_MIN_RATE`` bytes/s, so a server that trickles bytes ends the
    transfer (as "too slow") instead of holding it for ever. Bodies shorter than their
    Content-Length are a dropped connection.
    """
    import requests

    timeout, min_rate = _limits()
    start = time.monotonic()
    with requests.get(url, stream=True, timeout=(timeout, timeout), allow_redirects=True) as r:
        r.raise_for_status()
        total = int(r.headers.get("Content-Length") or 0) or None
        bar = _progress_bar(total, progress)
        try:
            while True:
                chunk = r.raw.read1(CHUNK) if hasattr(r.raw, "read1") else r.raw.read(64 * 1024)
                if not chunk:
                    break
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                elapsed = time.monotonic() - start
                if elapsed > timeout and out.size < min_rate * elapsed:
                    raise SourceError(
                        f"too slow ({out.size / elapsed / 1000:.1f} kB/s after {elapsed:.0f} s, below the minimum of "
                        f"{min_rate / 1000:.0f} kB/s; SAMZOO_MIN_RATE sets it)", transient=False)
        finally:
            if bar is not None:
                bar.close()
    if total is not None and out.size < total:
        raise requests.exceptions.ChunkedEncodingError(f"got {out.size} of {total} bytes")


def _progress_bar(total: int | None, progress: bool):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - pooch's optional dependency
        return None
    return tqdm(total=total, unit="B", unit_scale=True, leave=False, file=sys.stderr)


def download(url: str, out: HashingWriter, *, progress: bool | None = None,
             retries: int = RETRIES, backoff_s: float = BACKOFF_S) -> None:
    """Fetch ``url`` into ``out`` (reset before each attempt); raise :class:`SourceError` when it fails."""
    if progress is None:
        progress = sys.stderr.isatty()
    for attempt in range(retries + 1):
        out.reset()
        try:
            _fetch_once(url, out, progress)
            return
        except SourceError as e:
            if not e.transient or attempt == retries:
                raise
        time.sleep(backoff_s * 2**attempt)

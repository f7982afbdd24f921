"""Download one URL into an open file, hashing the bytes as they arrive.

HTTP(S) goes through pooch's ``HTTPDownloader`` (a progress bar when stderr is
a terminal); ``file://`` URLs are copied. Transient failures (connection
refused or dropped, time-outs, HTTP 5xx and 429) are retried with exponential
back-off, restarting the file from the beginning; other HTTP errors are not.
"""

from __future__ import annotations

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
TIMEOUT_S = 30


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


def _fetch_once(url: str, out: HashingWriter, progress: bool) -> None:
    if url.startswith("file://"):
        path = file_url_path(url)
        try:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
        except OSError as e:
            raise SourceError(f"{path}: {e.strerror}", transient=False) from None
        return
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progress, chunk_size=CHUNK, timeout=TIMEOUT_S)
    try:
        downloader(url, out, None)
    except (requests.RequestException, OSError) as e:
        text, transient = _describe(e)
        raise SourceError(text, transient) from None


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

"""Download one URL into an open file, hashing the bytes as they arrive.

HTTP(S) goes through pooch's ``HTTPDownloader``; ``file://`` URLs are copied. A progress
bar is drawn only when the caller passes ``progress`` (a factory of tqdm-like bars). Transient failures (connection
refused or dropped, time-outs, HTTP 5xx and 429) are retried with exponential
back-off, restarting the file from the beginning; other HTTP errors are not.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import RunTimeFailure

CHUNK = 1024 * 1024
RETRIES = 2          # extra attempts per URL after the first
BACKOFF_S = 0.25     # first wait; doubles with each retry
TIMEOUT_S = 30


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


def _copy_file(url: str, out: Sink, bar: Any) -> None:
    path = file_url_path(url)
    try:
        with open(path, "rb") as src:
            if bar is not None:
                bar.total = path.stat().st_size
            while chunk := src.read(CHUNK):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
    except OSError as e:
        raise TransferError(f"{path}: {e.strerror}", transient=False) from None
    finally:
        if bar is not None:
            bar.close()


def _fetch_once(url: str, out: Sink, progress: Progress | None) -> None:
    bar = progress(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1] or url) if progress else None
    if url.startswith("file://"):
        _copy_file(url, out, bar)
        return
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=bar if bar is not None else False, chunk_size=CHUNK,
                                      timeout=TIMEOUT_S)
    try:
        downloader(url, out, None)
    except (requests.RequestException, OSError) as e:
        if bar is not None:
            bar.close()
        text, transient = _describe(e)
        raise TransferError(text, transient) from None


def download(url: str, out: Sink, *, progress: Progress | None = None,
             retries: int = RETRIES, backoff_s: float = BACKOFF_S) -> None:
    """Fetch ``url`` into ``out`` (reset before each attempt); raise :class:`TransferError` when it fails.

    ``progress``: the caller's bar factory, called once per attempt with the file name; None draws nothing.
    """
    for attempt in range(retries + 1):
        out.reset()
        try:
            _fetch_once(url, out, progress)
            return
        except TransferError as e:
            if not e.transient or attempt == retries:
                raise
        time.sleep(backoff_s * 2**attempt)

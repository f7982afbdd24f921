"""Where the zoo's upload server is, which collection takes drafts, and the upload token (never shown)."""

from __future__ import annotations

import os
import string
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from ..plumbing.errors import ArgumentError, RunTimeFailure
from ..plumbing.untrusted import read_text_bounded

#: the public zoo's hypha server
DEFAULT_SERVER = "https://hypha.aicell.io"
#: environment variable naming another server (e.g. a local one for tests)
SERVER_ENV = "SAMZOO_ZOO_SERVER"
#: the variable bioimageio.spec reads for the same token
TOKEN_ENV = "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN"
#: the zoo's collection: ``workspace/alias``
COLLECTION = "bioimage-io/bioimage.io"
#: where a maintainer gets a token
TOKEN_PAGE = "https://bioimage.io/#/api?tab=hypha-rpc"
MAX_TOKEN_CHARS = 16 * 1024
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_.=+/:")


@dataclass(frozen=True)
class UploadToken:
    """A login token for the zoo; its value is never part of a repr, a str, a log or an error."""

    value: str = field(repr=False)
    source: str

    def __str__(self) -> str:
        return f"<upload token from {self.source}>"

    def redact(self, text: str) -> str:
        """``text`` with the token's value (should a server echo it) replaced by ``***``."""
        return text.replace(self.value, "***") if self.value else text


class NoTokenError(RunTimeFailure):
    """No upload token was given (exit 1: the upload cannot run, the call itself was fine)."""


def _checked(value: str, source: str) -> UploadToken:
    value = value.strip()
    if not value:
        raise NoTokenError(f"{source} is empty: put your bioimage.io API token there ({TOKEN_PAGE})")
    if len(value) > MAX_TOKEN_CHARS or not set(value) <= _TOKEN_CHARS:
        raise NoTokenError(f"{source} does not hold a token (one line of letters, digits and -_.=+/:); "
                           f"copy your API token from {TOKEN_PAGE}")
    return UploadToken(value, source)


def read_token(token_file: str | Path | None = None) -> UploadToken:
    """The upload token from ``token_file`` or else ``$BIOIMAGEIO_HYPHA_UPLOAD_TOKEN``; :class:`NoTokenError` when neither has one."""
    if token_file is not None:
        path = Path(token_file)
        if not path.is_file():
            raise ArgumentError("token_file", f"{path}: no such file; write your bioimage.io API token into it")
        return _checked(read_text_bounded(path, MAX_TOKEN_CHARS + 64, what="token file"), f"token file {path}")
    value = os.environ.get(TOKEN_ENV)
    if value is None:
        raise NoTokenError(f"no upload token: set {TOKEN_ENV} or pass a token file; get a token at {TOKEN_PAGE}")
    return _checked(value, f"${TOKEN_ENV}")


def server_url(server: str | None = None) -> str:
    """The zoo server's base URL: ``server``, else ``$SAMZOO_ZOO_SERVER``, else the public zoo."""
    raw = server or os.environ.get(SERVER_ENV) or DEFAULT_SERVER
    parsed = urllib.parse.urlparse(raw.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        where = "server" if server else SERVER_ENV
        raise ArgumentError("server", f"{raw!r} is not a server URL (http(s)://host[:port]); from {where}")
    return raw.strip().rstrip("/")


def artifact_id(zoo_id: str) -> str:
    """``diplomatic-bug`` -> ``bioimage-io/diplomatic-bug`` (the workspace-qualified id the server wants)."""
    workspace = COLLECTION.split("/", 1)[0]
    return zoo_id if "/" in zoo_id else f"{workspace}/{zoo_id}"


def review_url(server: str, artifact: str) -> str:
    """Where a person sees the draft: the zoo's page on the public server, the server's artifact URL elsewhere."""
    workspace, alias = artifact.split("/", 1)
    if server == DEFAULT_SERVER:
        return f"https://bioimage.io/#/artifacts/{alias}"
    return f"{server}/{workspace}/artifacts/{alias}?stage=true"

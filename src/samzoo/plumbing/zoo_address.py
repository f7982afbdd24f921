"""Where the zoo is: its hypha server, its collection, and a model's artifact id and URLs (shared by publisher and resolver)."""

from __future__ import annotations

import os
import urllib.parse

from .errors import ArgumentError

#: the public zoo's hypha server
DEFAULT_SERVER = "https://hypha.aicell.io"
#: environment variable naming another server (e.g. a local one for tests)
SERVER_ENV = "SAMZOO_ZOO_SERVER"
#: the zoo's collection: ``workspace/alias``
COLLECTION = "bioimage-io/bioimage.io"


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


def file_url(server: str, zoo_id: str, path: str, *, version: str | None = None, stage: bool = False) -> str:
    """The HTTP URL of one file of a model on the zoo (hypha redirects it to the storage), by version or staged."""
    workspace, alias = artifact_id(zoo_id).split("/", 1)
    query = "?stage=true" if stage else (f"?version={urllib.parse.quote(version)}" if version else "")
    return f"{server}/{workspace}/artifacts/{alias}/files/{urllib.parse.quote(path)}{query}"


def artifact_url(server: str, zoo_id: str) -> str:
    """The HTTP URL of a model's record on the zoo (JSON: its manifest and ``versions: [{"version": "v0"}, ...]``)."""
    workspace, alias = artifact_id(zoo_id).split("/", 1)
    return f"{server}/{workspace}/artifacts/{alias}"

"""The upload token (never shown) and a draft's review URL; where the zoo is: :mod:`samzoo.plumbing.zoo_address`."""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path

from ..plumbing.errors import ArgumentError, RunTimeFailure
from ..plumbing.untrusted import read_text_bounded
from ..plumbing.zoo_address import COLLECTION, DEFAULT_SERVER, SERVER_ENV, artifact_id, server_url

__all__ = ["COLLECTION", "DEFAULT_SERVER", "SERVER_ENV", "TOKEN_ENV", "NoTokenError", "UploadToken", "artifact_id", "read_token",
           "review_url", "server_url"]

#: the variable bioimageio.spec reads for the same token
TOKEN_ENV = "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN"
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


def review_url(server: str, artifact: str) -> str:
    """Where a person sees the draft: the zoo's page on the public server, the server's artifact URL elsewhere."""
    workspace, alias = artifact.split("/", 1)
    if server == DEFAULT_SERVER:
        return f"https://bioimage.io/#/artifacts/{alias}"
    return f"{server}/{workspace}/artifacts/{alias}?stage=true"

"""Whether the zoo already holds a package: the published model's files have the same names and sizes, and its description the same bytes.

The description pins the sha256 of the weights and test tensors, so equal descriptions and sizes
mean the same package without downloading the weights (the release's "did it change?" question).
"""

from __future__ import annotations

from pathlib import Path

from .file_upload import remote_sha256
from .package_members import open_package
from .zoo_api import NotFound, ZooApi
from .zoo_server import UploadToken, artifact_id, server_url


def zoo_holds(package: str | Path, *, server: str | None = None, token: UploadToken | None = None) -> bool:
    """True when the published (committed) model named by the package's ``id`` holds this package."""
    pkg = open_package(package)
    zoo_id = pkg.rdf.get("id")
    if not zoo_id:
        return False
    api = ZooApi(server_url(server), token)
    try:
        aid = artifact_id(str(zoo_id))
        try:
            listed = api.list_all(aid, stage=False)
        except NotFound:
            return False
        if listed != {m.path: m.size for m in pkg.members}:
            return False
        rdf = next(m for m in pkg.members if m.path == pkg.rdf_name)
        return remote_sha256(api, aid, rdf.path, rdf.size, stage=False) == pkg.sha256(rdf)
    finally:
        api.close()

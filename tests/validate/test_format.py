"""``format``: bioimageio.spec's verdict, offline."""

from __future__ import annotations

import shutil

import yaml

from samzoo.validate.checks.format import check_format


def test_format_never_asks_github_for_unknown_users(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text())
    rdf["authors"][0]["github_user"] = "no-such-user-samzoo-test-1234"
    (folder / "rdf.yaml").write_text(yaml.safe_dump(rdf, allow_unicode=True))
    descr, check = check_format(folder / "rdf.yaml", rdf)
    assert check.status == "passed" and descr is not None

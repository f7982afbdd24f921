"""``source``: packages are found, opened and unpacked safely; bad input is one failed check."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from helpers.cli import run_cli

from samzoo.validate import validate_package


EXPECTED_BAD = {
    "not_a_zip": ("source", "not a readable zip"),
    "truncated": ("source", "truncated"),
    "no_rdf": ("source", "no rdf.yaml"),
    "dotdot": ("source", "unsafe zip entry"),
    "absolute": ("source", "unsafe zip entry"),
    "invalid_yaml": ("format", "invalid YAML"),
    "missing_weights": ("files", "is missing from the package"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_BAD))
def test_bad_input_is_a_failed_check(bad_inputs, kind):
    report = validate_package(bad_inputs[kind])
    name, words = EXPECTED_BAD[kind]
    check = report.check(name)
    assert check.status == "failed" and words in check.message, check
    assert [c.name for c in report.checks if c.status == "failed"] == [name]
    assert "Traceback" not in check.message and "\n" not in check.message


def test_unsafe_zip_writes_nothing_outside(bad_inputs, tmp_path):
    validate_package(bad_inputs["dotdot"])
    validate_package(bad_inputs["absolute"])
    assert not Path("/tmp/samzoo-evil.txt").exists()
    assert not (bad_inputs["dotdot"].parent.parent / "evil.txt").exists()


def test_a_folder_of_packages_is_searched_with_its_subfolders(tmp_path):
    """`samzoo validate release/` finds release/ais/*.zip and package folders below; hidden folders and a package
    folder's own insides are not searched."""
    from samzoo.validate import expand_sources

    release = tmp_path / "release"
    for rel in ("a-1.zip", "ais/a-1-ais.zip", "formats/deep/b-2.zip", ".staging/c.zip", "unpacked/pkg/sub/d.zip"):
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        (release / rel).write_bytes(b"PK")
    (release / "unpacked" / "pkg" / "rdf.yaml").write_text("format_version: 0.5.4\n")
    (release / "notes.txt").write_text("not a package")
    found = [Path(p).relative_to(release).as_posix() for p in expand_sources([release])]
    assert found == ["a-1.zip", "ais/a-1-ais.zip", "formats/deep/b-2.zip", "unpacked/pkg"]
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(Exception, match="without packages .* or in its subfolders"):
        expand_sources([tmp_path / "empty"])


# --- links in zips ----------------------------------------------------------------------------------


def _zip_with_link(good_folder: Path, out: Path) -> Path:
    """The good package, with ``documentation.md`` replaced by a symlink entry to /etc/passwd (as ``zip -y`` stores it)."""
    import stat
    import zipfile

    with zipfile.ZipFile(out, "w") as zf:
        for path in sorted(p for p in good_folder.rglob("*") if p.is_file()):
            name = path.relative_to(good_folder).as_posix()
            if name == "documentation.md":
                info = zipfile.ZipInfo(name)
                info.create_system = 3  # Unix: the mode in the upper 16 bits is read as such
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, "/etc/passwd")
            else:
                zf.write(path, name)
    return out


def test_a_zip_entry_that_is_a_symlink_is_refused(good_folder, tmp_path):
    from samzoo.plumbing.package_unpack import is_symlink
    from samzoo.validate.checks.source import SourceError, unpack_zip

    linked = _zip_with_link(good_folder, tmp_path / "linked.zip")
    report = validate_package(linked)
    check = report.check("source")
    assert check.status == "failed" and "'documentation.md' is a symbolic link" in check.message, check
    assert "\n" not in check.message
    assert {c.status for c in report.checks[1:]} == {"skipped"}
    with pytest.raises(SourceError, match="symbolic link"):
        unpack_zip(linked, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything is written
    with zipfile.ZipFile(linked) as zf:
        assert [i.filename for i in zf.infolist() if is_symlink(i)] == ["documentation.md"]


def test_the_cli_refuses_a_symlink_entry_and_leaves_no_temp_folder(good_folder, tmp_path):
    linked = _zip_with_link(good_folder, tmp_path / "linked.zip")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    proc = run_cli("validate", str(linked), env={"TMPDIR": str(private_tmp)})
    assert proc.returncode == 1 and "symbolic link" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert list(private_tmp.iterdir()) == []

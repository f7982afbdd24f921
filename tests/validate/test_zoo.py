"""``zoo``: the zoo's upload rules."""

from __future__ import annotations

import shutil

import numpy as np

from helpers.validate_packages import rdf_of
from samzoo.validate.checks.zoo import check_zoo


def test_zoo_rules(good_folder):
    rdf = rdf_of(good_folder)
    assert check_zoo(rdf, good_folder).status == "passed"
    no_license = {k: v for k, v in rdf.items() if k not in ("license", "cite")}
    result = check_zoo(no_license, good_folder)
    assert result.status == "failed" and "no license" in result.message and "no citations" in result.message
    assert check_zoo({**rdf, "id": "Not_An_Id"}, good_folder).status == "failed"
    assert check_zoo({**rdf, "id_emoji": "ox"}, good_folder).status == "failed"
    assert "no version" in check_zoo({k: v for k, v in rdf.items() if k != "version"}, good_folder).message


def test_zoo_cover_guidance(good_folder, tmp_path):
    import imageio.v3 as iio

    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    iio.imwrite(folder / "wide.png", np.zeros((100, 300, 3), dtype="uint8"))
    result = check_zoo({**rdf_of(folder), "covers": [{"source": "wide.png"}]}, folder)
    assert result.status == "warning" and "aspect 3.00" in result.message

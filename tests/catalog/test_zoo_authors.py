"""A placeholder author (``unknown``, ``TODO``, ...) fails the zoo check; real names pass it."""

from __future__ import annotations

import numpy as np
import pytest

from samzoo.validate.checks.zoo import check_zoo, placeholder_people


def _rdf(tmp_path, authors):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "cover.png", np.zeros((64, 64, 3), np.uint8))
    (tmp_path / "doc.md").write_text("# Model\n\n## Validation\n\nChecked by hand.\n")
    return {"license": "CC-BY-4.0", "cite": [{"text": "x", "doi": "10.1/x"}], "authors": authors,
            "documentation": "doc.md", "covers": ["cover.png"], "id": "noisy-ox", "id_emoji": "🐂", "version": "1.2"}


@pytest.mark.parametrize("name", ["unknown", "Unknown", "TODO", " n/a ", "Your Name"])
def test_placeholder_author_fails(tmp_path, name):
    result = check_zoo(_rdf(tmp_path, [{"name": "Anwai Archit"}, {"name": name}]), tmp_path)
    assert result.status == "failed"
    assert f"authors[1] is {name!r}: a placeholder" in result.message


def test_real_authors_pass(tmp_path):
    rdf = _rdf(tmp_path, [{"name": "Anwai Archit"}, {"name": "Constantin Pape"}])
    assert check_zoo(rdf, tmp_path).status == "passed"
    assert placeholder_people({**rdf, "maintainers": [{"github_user": "constantinpape"}]}) == []
    assert placeholder_people({**rdf, "maintainers": [{"name": "unknown"}]}) == ["maintainers[0] is 'unknown'"]


@pytest.mark.parametrize("name", ["Jane Doe", "John Roe"])
def test_the_readme_s_example_names_pass(tmp_path, name):
    # `samzoo catalog add --author "Jane Doe"` (the README's quickstart) accepts it: the zoo check must too
    assert check_zoo(_rdf(tmp_path, [{"name": name}]), tmp_path).status == "passed"

"""``environment``: a package's environment.yaml is untrusted input, read with the same bounds as its rdf."""

from __future__ import annotations

import pytest

from samzoo.plumbing.untrusted import MAX_TEXT_BYTES
from samzoo.validate.checks.environment import check_environment
from samzoo.validate.environment_file import EnvironmentFileError, read_environment

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8)
)


def test_a_good_environment_file_is_read(tmp_path):
    path = tmp_path / "environment.yaml"
    path.write_text("name: x\ndependencies:\n  - python=3.11\n  - pytorch>=2.0\n  - pip:\n    - segment-anything>=1.0\n")
    env = read_environment(path)
    assert "torch>=2.0" in env.requirements and "segment-anything>=1.0" in env.requirements


@pytest.mark.parametrize(
    "content, words",
    [
        (b"dependencies:\n" + b"  - numpy\n" * (MAX_TEXT_BYTES // 10 + 1), "more than the"),
        (BOMB.encode(), "alias bomb"),
        (b"dependencies: [\xff\xfe]\n", "not UTF-8 text"),
        (b"dependencies: [unclosed\n", "cannot read"),
    ],
    ids=["too-large", "alias-bomb", "not-utf8", "invalid-yaml"],
)
def test_a_bad_environment_file_is_one_line(tmp_path, content, words):
    path = tmp_path / "environment.yaml"
    path.write_bytes(content)
    with pytest.raises(EnvironmentFileError) as info:
        read_environment(path)
    assert words in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_the_check_fails_on_an_alias_bomb_in_the_package(tmp_path):
    (tmp_path / "environment.yaml").write_text(BOMB)
    (tmp_path / "model.py").write_text("import torch\n")
    rdf = {"weights": {"pytorch_state_dict": {"source": "w.pt", "architecture": {"source": "model.py", "callable": "M"},
                                              "dependencies": {"source": "environment.yaml"}}}}
    result = check_environment(rdf, tmp_path)
    assert result.status == "failed" and "alias bomb" in result.message, result

"""Names as users type them: any case, the zoo page URL that `samzoo info` prints, suggestions for typos."""

from __future__ import annotations

import pytest

from helpers.cli import run_cli
from samzoo.catalog import load_catalog
from samzoo.plumbing.errors import UnknownModelError

CATALOG = load_catalog(include_user=False)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("VIT_B_LM", "vit_b_lm@v4"),
        ("Vit_B_Lm@V2", "vit_b_lm@v2"),
        ("Noisy-Ox", "vit_b_em_organelles@v4"),
        ("NOISY-OX/1.2", "vit_b_em_organelles@v4"),
        ("https://bioimage.io/#/?id=noisy-ox", "vit_b_em_organelles@v4"),
        ("https://bioimage.io/#/?id=diplomatic-bug/1.2", "vit_b_lm@v4"),
        ("https://bioimage.io/#/artifacts/faithful-chicken", "vit_t_lm@v3"),
    ],
)
def test_names_in_any_case_and_zoo_page_urls(name, expected):
    assert CATALOG.lookup(name).name == expected


def test_typo_in_capitals_gets_suggestions():
    with pytest.raises(UnknownModelError) as e:
        CATALOG.lookup("VIT_B_LMM")
    assert "vit_b_lm" in e.value.suggestions


def test_info_accepts_the_source_it_prints():
    first = run_cli("info", "noisy-ox")
    source = next(line.split()[1] for line in first.stdout.splitlines() if line.strip().startswith("source "))
    assert source.startswith("https://bioimage.io/")
    again = run_cli("info", source)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    upper = run_cli("info", "VIT_B_EM_ORGANELLES")
    assert upper.returncode == 0 and upper.stdout.splitlines()[0] == first.stdout.splitlines()[0]

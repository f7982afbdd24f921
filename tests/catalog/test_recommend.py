"""Targets match by meaning (case, plurals, extra words); a fallback to an original SAM model is said aloud."""

from __future__ import annotations

import json

import pytest

import samzoo
from helpers.cli import run_cli
from samzoo.plumbing.errors import ArgumentError
from samzoo.catalog.recommend import target_words


@pytest.mark.parametrize(
    "domain, target, expected",
    [
        ("light_microscopy", "nucleus", "vit_b_lm"),
        ("light_microscopy", "cell nuclei", "vit_b_lm"),
        ("light_microscopy", "Cells", "vit_b_lm"),
        ("Light Microscopy", "cell", "vit_b_lm"),
        ("electron_microscopy", "mitochondrion", "vit_b_em_organelles"),
        ("electron-microscopy", "Mitochondria", "vit_b_em_organelles"),
        ("histopathology", "nucleus", "vit_b_histopathology"),
    ],
)
def test_targets_match_by_meaning(domain, target, expected):
    choice = samzoo.recommend(domain, target)
    assert choice.model_type == expected and not choice.fallback, choice


def test_unknown_target_is_a_visible_fallback():
    choice = samzoo.recommend("light_microscopy", "neurites")
    assert choice.fallback and choice.model_type == "vit_b"
    assert choice.known_targets == ("cells", "nuclei")
    assert "No light microscopy model is made for 'neurites'" in choice.reason


def test_target_words():
    assert target_words("Cell Nuclei") == {"cell", "nucleus"}
    assert target_words("mitochondria") == {"mitochondrion"} and target_words("bodies") == {"body"}


def test_argument_errors_name_the_argument():
    with pytest.raises(ArgumentError) as e:
        samzoo.recommend("astronomy")
    assert e.value.argument == "domain" and "--" not in str(e.value)
    with pytest.raises(ArgumentError) as e:
        samzoo.recommend("natural", fast=True, quality=True)
    assert e.value.argument == "fast" and "quality" in e.value.problem and "--" not in e.value.problem


def test_cli_says_when_it_falls_back():
    r = run_cli("recommend", "--domain", "light_microscopy", "--target", "nucleus")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "vit_b_lm" and "note" not in r.stderr
    r = run_cli("recommend", "--domain", "light_microscopy", "--target", "neurites", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["fallback"] is True
    assert "samzoo: note: no light_microscopy model is made for 'neurites'; its models are made for: cells, nuclei" in r.stderr
    r = run_cli("recommend", "--domain", "astronomy")
    assert r.returncode == 2 and r.stderr.startswith("samzoo: error: --domain: unknown domain 'astronomy'")

"""The registry: every check is one module named as in reports, declared once, run in the registry's order."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import samzoo.validate.checks as checks_package
from samzoo.validate import CHECK_NAMES, CHECKS
from samzoo.validate.check_spec import Check, not_applicable
from samzoo.plumbing.sam_kind import label_output

SAM_INTERACTIVE = {"inputs": [{"id": "image"}, {"id": "box_prompts"}], "outputs": [{"id": "masks"}, {"id": "scores"}]}
SAM_AUTOMATIC = {"inputs": [{"id": "image"}], "outputs": [{"id": "labels", "data": {"type": "uint32"}}], "tags": ["segment-anything"]}
PLAIN = {"inputs": [{"id": "raw"}], "outputs": [{"id": "prediction", "data": {"type": "float32"}}]}
#: another tool's instance segmentation model: integer labels, but no SAM
PLAIN_LABELS = {"inputs": [{"id": "raw"}], "outputs": [{"id": "labels", "data": {"type": "uint16"}}]}


def test_a_report_line_leads_to_its_module():
    """`identity: failed` -> samzoo/validate/checks/identity.py, which declares the check and runs it."""
    for check in CHECKS:
        module = importlib.import_module(f"samzoo.validate.checks.{check.name}")
        assert module.CHECK is check
        assert check.run.__module__ == module.__name__, check.name


def test_every_check_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(checks_package.__path__)}
    assert modules == set(CHECK_NAMES)
    assert len(CHECK_NAMES) == len(set(CHECK_NAMES))


def test_checks_declare_what_they_need_in_an_order_that_provides_it():
    assert CHECK_NAMES[:2] == ("source", "format")  # source opens the package and reads the rdf; format describes it
    needs = [c.needs for c in CHECKS]
    assert needs[0] == "nothing" and needs[1] == "package"
    first_model = needs.index("loaded model")
    assert all(n == "loaded model" for n in needs[first_model:])  # the model stage comes last, as one block
    assert {c.applies_to for c in CHECKS} == {"any model", "SAM interactive", "SAM automatic"}
    with pytest.raises(Exception, match="cannot assign"):
        CHECKS[0].name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "rdf, expected",
    [
        (SAM_INTERACTIVE, {"ais": "not an automatic instance segmentation"}),
        (SAM_AUTOMATIC, {"sam_prompts": "an automatic instance segmentation package", "sam_image_only": "an automatic",
                         "encoder": "an automatic"}),
        (PLAIN, {"ais": "not a SAM package", "sam_prompts": "not a SAM package", "sam_image_only": "not a SAM package",
                 "encoder": "not a SAM package"}),
        (PLAIN_LABELS, {"ais": "not a SAM package", "sam_prompts": "not a SAM package", "sam_image_only": "not a SAM package",
                        "encoder": "not a SAM package"}),
    ],
)
def test_which_checks_apply_is_decided_from_the_rdf(rdf, expected):
    why = {c.name: not_applicable(c, rdf) for c in CHECKS}
    assert {name for name, reason in why.items() if reason} == set(expected)
    for name, words in expected.items():
        assert words in why[name], (name, why[name])


def test_label_output_needs_one_integer_output():
    assert label_output(SAM_AUTOMATIC) == "labels"
    assert label_output(PLAIN) is None and label_output(SAM_INTERACTIVE) is None
    assert label_output({"outputs": "not a list"}) is None


def test_a_new_check_is_one_declaration():
    def run(ctx):
        raise AssertionError("not run here")

    check = Check("my_check", "any model", "rdf", run)
    assert not_applicable(check, PLAIN) is None and not check.quick_skips

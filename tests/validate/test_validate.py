"""``samzoo validate``: real micro-sam-style packages (random vit_t weights, scikit-image pictures), real bioimageio.

The expensive artefacts (packages, full validations) are session fixtures
shared by every test here; the broken variants are built by the same code as
the good package (tests/helpers/micro_sam_package.py).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml

from helpers.micro_sam_package import write_micro_sam_package
from samzoo.validate import CHECK_NAMES, validate_package
from samzoo.validate.checks.format import check_format
from samzoo.validate.sam_outputs import output_problems
from samzoo.validate.checks.zoo import check_zoo
from samzoo.validate.checks.identity import check_identity
from helpers.cli import run_cli

ZOO_FIELDS = {"id": "testing-mouse", "id_emoji": "🐭", "version": "1.0"}


# --- shared packages ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pkg_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="session")
def good_zip(pkg_dir, vit_t_checkpoint) -> Path:
    """micro-sam 1.8.14's layout, including its architecture's embedding cache."""
    return write_micro_sam_package(pkg_dir / "good.zip", vit_t_checkpoint, "vit_t", extra=ZOO_FIELDS)


@pytest.fixture(scope="session")
def fixed_zip(pkg_dir, vit_t_checkpoint) -> Path:
    """The same, with an architecture that computes embeddings for every image."""
    return write_micro_sam_package(pkg_dir / "fixed.zip", vit_t_checkpoint, "vit_t", "fixed_cache", extra=ZOO_FIELDS)


@pytest.fixture(scope="session")
def good_folder(pkg_dir, good_zip) -> Path:
    folder = pkg_dir / "good_folder"
    with zipfile.ZipFile(good_zip) as zf:
        zf.extractall(folder)
    return folder


def _variant(pkg_dir, ckpt, variant: str) -> Path:
    return write_micro_sam_package(pkg_dir / f"{variant}.zip", ckpt, "vit_t", variant, extra=ZOO_FIELDS)


@pytest.fixture(scope="session")
def good_report(good_zip):
    return validate_package(good_zip)


@pytest.fixture(scope="session")
def fixed_report(fixed_zip):
    return validate_package(fixed_zip)


@pytest.fixture(scope="session")
def bad_inputs(pkg_dir, good_zip, good_folder) -> dict[str, Path]:
    """Every kind of bad input of the issue, made from the good package."""
    d = pkg_dir / "bad"
    d.mkdir()
    out: dict[str, Path] = {}
    out["not_a_zip"] = d / "not_a_zip.zip"
    out["not_a_zip"].write_text("this is not a zip file\n")
    data = good_zip.read_bytes()
    out["truncated"] = d / "truncated.zip"
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["no_rdf"] = d / "no_rdf.zip"
    with zipfile.ZipFile(good_zip) as src, zipfile.ZipFile(out["no_rdf"], "w") as dst:
        for info in src.infolist():
            if info.filename != "rdf.yaml" and not info.filename.endswith(".pt"):
                dst.writestr(info, src.read(info))
    for name, entry in (("dotdot", "../evil.txt"), ("absolute", "/tmp/samzoo-evil.txt")):
        out[name] = d / f"{name}.zip"
        with zipfile.ZipFile(out[name], "w") as zf:
            zf.writestr("rdf.yaml", "type: model\n")
            zf.writestr(entry, "escaped")
    out["invalid_yaml"] = d / "invalid_yaml"
    shutil.copytree(good_folder, out["invalid_yaml"])
    (out["invalid_yaml"] / "rdf.yaml").write_text("name: [unclosed\ninputs: {\n")
    out["missing_weights"] = d / "missing_weights"
    shutil.copytree(good_folder, out["missing_weights"])
    next(out["missing_weights"].glob("*.pt")).unlink()
    return out


# --- the good package --------------------------------------------------------------------------


def test_micro_sam_package_passes_every_check(good_report):
    statuses = {c.name: c.status for c in good_report.checks}
    assert good_report.passed, [c for c in good_report.checks if c.status == "failed"]
    assert tuple(statuses) == CHECK_NAMES
    for name in ("source", "format", "files", "zoo", "inference", "size_probes"):
        assert statuses[name] == "passed", good_report.check(name)
    for name in ("sam_prompts", "sam_image_only"):  # random weights may score outside [0, 1]: a warning
        check = good_report.check(name)
        assert check.status == "passed" or (check.status == "warning" and "scores outside [0, 1]" in check.message), check
    assert statuses["identity"] == "skipped"  # testing-mouse is not a catalog model
    env = good_report.check("environment")  # micro-sam's environment.yaml pins nothing
    assert env.status == "warning" and "no lower bound for segment-anything, timm" in env.message, env
    assert statuses["encoder"] == "passed", good_report.check("encoder")
    assert good_report.cover and good_report.cover.startswith("data:image/jpeg;base64,")


def test_micro_sam_embedding_cache_is_reported_as_stale_and_the_encoder_still_checked(good_report):
    only = good_report.check("sam_image_only")
    assert only.status == "warning" and "stale embedding cache" in only.message
    # the pass ran again on a freshly loaded model: its encoder reproduces the test embeddings
    assert good_report.check("encoder").status == "passed" and "reproduces the test embeddings" in good_report.check("encoder").message


def test_package_without_cache_passes_the_encoder_check(fixed_report):
    assert fixed_report.passed
    assert "stale" not in fixed_report.check("sam_image_only").message
    assert fixed_report.check("encoder").status == "passed"


def test_quick_skips_only_the_encoder_passes(good_folder):
    report = validate_package(good_folder, quick=True)
    assert report.passed and report.quick
    skipped = {c.name for c in report.checks if c.status == "skipped"}
    # ais: not an AIS package; weight_formats: one format, tested by inference
    assert skipped == {"identity", "ais", "weight_formats", "sam_image_only", "encoder"}
    assert report.check("inference").status == "passed"


# --- broken variants fail the right check ------------------------------------------------------


def test_broken_test_output_fails_inference(pkg_dir, vit_t_checkpoint):
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "broken_test_output"), quick=True)
    assert not report.passed
    failed = [c.name for c in report.checks if c.status == "failed"]
    assert failed == ["inference"]
    assert "'masks'" in report.check("inference").message and "differ" in report.check("inference").message


def test_wrong_hash_weights_fail_files(pkg_dir, vit_t_checkpoint):
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "wrong_hash"))
    assert [c.name for c in report.checks if c.status == "failed"] == ["files"]
    assert "sha256" in report.check("files").message and ".pt" in report.check("files").message
    assert report.check("inference").status == "skipped"


def test_swapped_encoder_weights_fail_only_the_encoder_check(pkg_dir, vit_t_checkpoint):
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "swapped_encoder"))
    assert [c.name for c in report.checks if c.status == "failed"] == ["encoder"], report.checks
    assert "encoder weights are not those the test outputs were made with" in report.check("encoder").message
    assert report.check("inference").status == "passed"  # what bioimageio test cannot see


def test_adaptor_without_strict_names_the_cause(pkg_dir, vit_t_checkpoint):
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "no_strict"), quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "load_state_dict() does not accept 'strict'" in check.message, check


def test_outputs_made_under_the_fork_are_named(pkg_dir, vit_t_checkpoint):
    from samzoo.validate.sam_variants import PYPI, installed_behaviour

    if installed_behaviour() != PYPI:
        pytest.skip("this test expects PyPI segment-anything to be installed")
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "fork_outputs"), quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "made under segment-anything-py" in check.message, check
    assert "do not match its model" not in check.message


def test_architecture_that_raises_fails_inference(pkg_dir, vit_t_checkpoint):
    report = validate_package(_variant(pkg_dir, vit_t_checkpoint, "raises"))
    check = report.check("inference")
    assert check.status == "failed"
    assert "broken on purpose" in check.message and "\n" not in check.message
    assert all(report.check(n).status == "skipped" for n in ("sam_prompts", "encoder"))


# --- bad input -------------------------------------------------------------------------------------

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


def test_cli_bad_inputs_exit_1_without_traceback(bad_inputs):
    proc = run_cli("validate", *(str(p) for p in bad_inputs.values()))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.count("FAILED") == len(bad_inputs)


# --- format is offline-safe ----------------------------------------------------------------------


def test_format_never_asks_github_for_unknown_users(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text())
    rdf["authors"][0]["github_user"] = "no-such-user-samzoo-test-1234"
    (folder / "rdf.yaml").write_text(yaml.safe_dump(rdf, allow_unicode=True))
    descr, check = check_format(folder / "rdf.yaml")
    assert check.status == "passed" and descr is not None


# --- zoo and identity ----------------------------------------------------------------------------


def _rdf(folder: Path) -> dict:
    return yaml.safe_load((folder / "rdf.yaml").read_text())


def test_zoo_rules(good_folder):
    rdf = _rdf(good_folder)
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
    result = check_zoo({**_rdf(folder), "covers": [{"source": "wide.png"}]}, folder)
    assert result.status == "warning" and "aspect 3.00" in result.message


def test_identity_published_new_and_unknown(good_folder):
    rdf = _rdf(good_folder)
    wrong = check_identity({**rdf, "id": "noisy-ox", "version": "1.2"}, good_folder)
    assert wrong.status == "failed" and "xxh128:" in wrong.message and "vit_b_em_organelles" in wrong.message
    new = check_identity({**rdf, "id": "noisy-ox", "version": "9.9"}, good_folder)
    assert new.status == "warning" and "new version" in new.message
    assert check_identity(rdf, good_folder).status == "skipped"


def test_identity_passes_for_the_published_weights(good_folder, tmp_path, monkeypatch):
    """A user catalog recording this package's weights: the claim holds."""
    from samzoo.catalog import builtin_spec_dir, dump_spec, load_spec_file
    from samzoo.plumbing.hashing import file_hash

    weights = next(good_folder.glob("*.pt"))
    spec = load_spec_file(builtin_spec_dir() / "vit_t_lm.yaml")
    cur = spec.current
    wf = cur.weights.encoder.model_copy(update={"url": f"file://{weights}", "hash": file_hash(weights, "xxh128")})
    version = cur.model_copy(update={"weights": cur.weights.model_copy(update={"encoder": wf})})
    user = spec.model_copy(update={
        "model_type": "vit_t_mine", "nickname": "testing-mouse", "emoji": "🐭",
        "versions": (version.model_copy(update={"zoo_version": "1.0"}),),
        "current_version": cur.version, "recommend": None,
    })
    (tmp_path / "vit_t_mine.yaml").write_text(dump_spec(user))
    result = check_identity(_rdf(good_folder), good_folder, tmp_path)
    assert result.status == "passed" and "vit_t_mine" in result.message
    # hermetic: the user's own catalog never changes a verdict; only an explicit catalog folder does
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    assert check_identity(_rdf(good_folder), good_folder).status == "skipped"
    proc = run_cli("validate", "--quick", "--json", str(good_folder), env={"SAMZOO_CATALOG": str(tmp_path)})
    assert {c["name"]: c["status"] for c in json.loads(proc.stdout)["packages"][0]["checks"]}["identity"] == "skipped"
    proc = run_cli("validate", "--quick", "--json", "--catalog", str(tmp_path), str(good_folder))
    assert {c["name"]: c["status"] for c in json.loads(proc.stdout)["packages"][0]["checks"]}["identity"] == "passed"


# --- output rules ----------------------------------------------------------------------------------


def test_output_rules_on_real_arrays():
    masks = np.zeros((1, 2, 1, 8, 8), dtype="uint8")
    ok, warn = output_problems({"masks": masks, "scores": np.array([[[0.5], [0.9]]], "float32")}, (8, 8), 2)
    assert ok == [] and warn == []
    bad, _ = output_problems({"masks": masks + 3, "scores": np.array([[[np.nan], [0.9]]], "float32")}, (8, 8), 3)
    assert any("not binary" in b for b in bad) and any("NaN" in b for b in bad) and any("3 prompted" in b for b in bad)
    _, warn = output_problems({"masks": masks, "scores": np.array([[[1.2], [0.1]]], "float32")}, (8, 8), 2)
    assert warn and "outside [0, 1]" in warn[0]


# --- many packages, CLI, reports -----------------------------------------------------------------


@pytest.mark.slow
def test_jobs_2_folder_with_good_and_broken(tmp_path, good_zip, bad_inputs):
    folder = tmp_path / "many"
    folder.mkdir()
    shutil.copy(good_zip, folder / "a_good.zip")
    shutil.copy(bad_inputs["truncated"], folder / "b_truncated.zip")
    shutil.copytree(bad_inputs["missing_weights"], folder / "c_missing")
    proc = run_cli("validate", "--jobs", "2", "--quick", "--report", str(tmp_path / "r.json"), str(folder),
                   env={"SAMZOO_JOBS_PER_WORKER": "1"})  # two local workers for three packages
    assert proc.returncode == 1, proc.stderr
    assert "validating in this process" not in proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert [Path(p["source"]).name for p in data["packages"]] == ["a_good.zip", "b_truncated.zip", "c_missing"]
    assert [p["status"] for p in data["packages"]] == ["passed", "failed", "failed"]


def test_cli_reports_summary_and_exit_0(tmp_path, good_folder):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    reports = [tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.html"]
    args = ["validate", "--quick", str(good_folder), "--summary", str(tmp_path / "bioimageio.json")]
    args += [a for r in reports for a in ("--report", str(r))]
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    proc = run_cli(*args, env={"GITHUB_STEP_SUMMARY": str(summary), "TMPDIR": str(private_tmp)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(private_tmp.iterdir()) == []  # the private temp dir (and bioimageio's files in it) is gone
    assert "1 passed, 0 failed" in proc.stdout
    data = json.loads(reports[0].read_text())
    assert data["passed"] is True
    assert {c["name"] for c in data["packages"][0]["checks"]} == set(CHECK_NAMES)
    assert all(set(c) == {"name", "status", "message", "seconds", "details"} for c in data["packages"][0]["checks"])
    from bioimageio.spec.summary import ValidationSummary

    bioimageio_summary = ValidationSummary.load_json(tmp_path / "bioimageio.json")
    assert bioimageio_summary.status == "passed" and bioimageio_summary.type == "model"
    md = reports[1].read_text()
    assert md.startswith("## samzoo validate: 1 passed, 0 failed") and "| inference | ✅ passed |" in md
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "## samzoo validate" in text

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.imgs = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "img":
                self.imgs.append(dict(attrs)["src"])

    parser = Collect()
    parser.feed(reports[2].read_text())
    assert parser.tags.count("section") == 1 and parser.tags.count("tr") == 2 + len(CHECK_NAMES) + 1  # overview + checks
    assert parser.imgs and parser.imgs[0].startswith("data:image/jpeg;base64,")
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "/no/such/package.zip"], "no such file or folder"),
        (["validate", "--report", "out.txt", "x.zip"], "unknown report format"),
        (["validate", "--device", "cuda", "x.zip"], "no CUDA GPU"),
        (["validate", "--jobs", "0", "x.zip"], "--jobs 0"),
    ],
)
def test_cli_usage_errors_exit_2(args, words):
    import torch

    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    proc = run_cli(*args)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_device_auto_without_gpu_is_cpu():
    import torch

    from samzoo.validate.model_session import resolve_device

    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.slow
def test_package_built_by_samzoo_validates(tmp_path, vit_t_checkpoint):
    """The builder's own package (random vit_t weights): every check passes or warns, none fails."""
    build = pytest.importorskip("samzoo.builder")
    result = build.build_package("vit_t_lm", vit_t_checkpoint, output=tmp_path / "vit_t_lm.zip")
    report = validate_package(result.path)
    assert report.passed, [c for c in report.checks if c.status == "failed"]
    assert report.check("inference").status == "passed"
    assert report.check("encoder").status == "passed", report.check("encoder")
    # random weights are not the published faithful-chicken weights: the builder gives them a new version
    identity = report.check("identity")
    assert identity.status == "warning" and "new version" in identity.message, identity


def test_validator_never_imports_the_builder(bad_inputs):
    import subprocess
    import sys

    code = (
        "import sys\nfrom samzoo.validate import validate_package\n"
        f"r = validate_package({str(bad_inputs['invalid_yaml'])!r})\n"
        "assert not r.passed\n"
        "assert not [m for m in sys.modules if m.startswith('samzoo.builder')], 'samzoo.builder was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- test tensors the description contradicts (issue 12) -------------------------------------------


def _replace_tensor(folder: Path, tensor_id: str, kind: str, array: np.ndarray) -> None:
    """Overwrite a test tensor of a package folder and record its new sha256 (so only the content is wrong)."""
    import hashlib

    rdf_path = folder / "rdf.yaml"
    rdf = yaml.safe_load(rdf_path.read_text())
    entry = next(t for t in rdf[kind] if t["id"] == tensor_id)["test_tensor"]
    np.save(folder / entry["source"], array)
    entry["sha256"] = hashlib.sha256((folder / entry["source"]).read_bytes()).hexdigest()
    rdf_path.write_text(yaml.safe_dump(rdf, sort_keys=False))


def test_test_input_of_another_dtype_fails_inference(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    image = np.load(folder / yaml.safe_load((folder / "rdf.yaml").read_text())["inputs"][0]["test_tensor"]["source"])
    _replace_tensor(folder, "image", "inputs", image.astype("int16"))
    check = validate_package(folder, quick=True).check("inference")
    assert check.status == "failed" and "'image' is int16, the description declares uint8" in check.message, check


def test_all_nan_test_output_fails_inference(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text())
    scores = np.load(folder / next(t for t in rdf["outputs"] if t["id"] == "scores")["test_tensor"]["source"])
    _replace_tensor(folder, "scores", "outputs", np.full_like(scores, np.nan))
    report = validate_package(folder, quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "'scores' has" in check.message and "NaN" in check.message, check
    assert not report.passed


def test_validation_leaves_the_callers_random_state_and_environment_alone(good_folder):
    """Seeds are set for the checks only (bioimageio.core's enable_determinism would leave them, and more, changed)."""
    import os

    import numpy as np
    import torch

    torch.manual_seed(123)
    np.random.seed(123)
    expected = torch.rand(3), np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(123)
    env, deterministic = dict(os.environ), torch.are_deterministic_algorithms_enabled()
    assert validate_package(good_folder, quick=True).passed
    assert torch.equal(torch.rand(3), expected[0]) and np.array_equal(np.random.rand(3), expected[1])
    assert dict(os.environ) == env and torch.are_deterministic_algorithms_enabled() == deterministic


# --- the model checks in a worker process ----------------------------------------------------------


def test_isolated_model_checks_match_in_process(good_folder, good_report):
    """The worker process gives the same verdicts and messages as running the checks in this process.

    (Measured differences, e.g. the encoder's max |diff|, may differ in the last digits: another process.)"""
    isolated = validate_package(good_folder, isolate=True)
    assert [(c.name, c.status) for c in isolated.checks] == [(c.name, c.status) for c in good_report.checks]
    for name in ("inference", "size_probes", "sam_prompts", "sam_image_only"):
        assert isolated.check(name).message == good_report.check(name).message
    assert isolated.check("encoder").message.startswith("the image encoder reproduces the test embeddings")


def test_a_package_that_kills_its_process_fails_alone(pkg_dir, vit_t_checkpoint, good_folder):
    """validate_many (as the CLI): the model process dies with one package; the next gets a new one."""
    from samzoo.validate import validate_many

    killer = _variant(pkg_dir, vit_t_checkpoint, "kills_its_process")
    reports = validate_many([killer, good_folder], quick=True)
    check = reports[0].check("inference")
    assert check.status == "failed" and "model process ended" in check.message and "SIGKILL" in check.message, check
    assert "\n" not in check.message and "Traceback" not in check.message
    assert reports[0].check("sam_prompts").status == "skipped"
    assert [c.name for c in reports[0].checks if c.status == "failed"] == ["inference"]
    assert reports[1].passed, [c for c in reports[1].checks if c.status == "failed"]


def test_a_dropped_worker_leaves_no_process(bad_inputs):
    """Files fail: the model checks started beside them are dropped and their process stopped."""
    import psutil

    from samzoo.validate.model_worker import ModelWorker
    from samzoo.validate.one_package import validate_with

    def workers() -> list:
        return [p for p in psutil.Process().children(recursive=True) if "model_worker" in " ".join(p.cmdline())]

    with ModelWorker() as worker:
        report = validate_with(worker, bad_inputs["missing_weights"])
        assert report.check("files").status == "failed" and report.check("inference").status == "skipped"
        assert workers() == []  # stopped at once, not left running the model checks
    assert workers() == []


@pytest.mark.slow
def test_interrupted_validation_leaves_nothing(good_zip, tmp_path):
    """Ctrl-C while the model checks run: exit 130, the worker process stopped, no temporary files left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "samzoo", "validate", str(good_zip)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.time() + 180
    while not list(scratch.glob("samzoo-validate-*/model")):  # the worker is running the model checks
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    workers = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert workers
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(scratch.iterdir()) == []
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)


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


def test_jobs_on_few_packages_run_in_this_process_and_say_so(tmp_path, bad_inputs):
    """--jobs 2 on fewer packages than two workers' worth (20) starts no worker: a small run is never slower."""
    proc = run_cli("validate", "--jobs", "2", "--quick", str(bad_inputs["truncated"]))
    assert proc.returncode == 1
    assert ("samzoo: 1 package(s): validating in this process; a worker's start pays off from 10 packages per worker "
            "(--jobs 2 from 20)") in proc.stderr
    proc = run_cli("validate", "--jobs", "2", str(bad_inputs["truncated"]), env={"SAMZOO_JOBS_PER_WORKER": "x"})
    assert proc.returncode == 2 and "SAMZOO_JOBS_PER_WORKER='x': give a whole number >= 1 (default 10)" in proc.stderr

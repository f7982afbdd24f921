"""Malformed inputs for the fuzz suite, by family: what an attacker or an unlucky user would feed samzoo.

Every case is built inside its own folder from a few shared, honest inputs (a random vit_t
checkpoint, a micro-sam-style package made from it, a hostile HTTP server) and names the exit
codes the documented behaviour allows. Families: ``validate`` (zips, YAML, fields, tensors,
hashes, symlinks, bombs), ``report`` (where reports go), ``build`` (checkpoints, images,
outputs, signals), ``fetch`` (servers, packages, hashes, concurrency), ``store`` (caches,
catalogs and indexes that are files, unreadable or corrupt).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import signal
import struct
import zipfile
from pathlib import Path

import numpy as np
import yaml
from helpers.fuzz_harness import Case, Ctx

ZOO = {"id": "testing-mouse", "id_emoji": "🐭", "version": "1.0"}
ESCAPE = "/tmp/samzoo-fuzz-escape-{token}"
BOMB_YAML = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=False)
)


# --- shared inputs ---------------------------------------------------------------------------


def build_shared(ctx: Ctx) -> None:
    """The honest inputs every case mutates: a vit_t checkpoint and a micro-sam-style package (zip + folder)."""
    from helpers.micro_sam_package import write_micro_sam_package

    from samzoo.plumbing.sam_models import save_random_checkpoint

    shared = ctx.root / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    ckpt = shared / "vit_t.pt"
    if not ckpt.exists():
        save_random_checkpoint(ckpt, "vit_t", seed=0)
    pkg = shared / "good.zip"
    if not pkg.exists():
        write_micro_sam_package(pkg, ckpt, "vit_t", extra=ZOO)
    folder = shared / "good"
    if not folder.exists():
        with zipfile.ZipFile(pkg) as zf:
            zf.extractall(folder)
    ctx.shared.update(ckpt=ckpt, zip=pkg, folder=folder, token=os.urandom(4).hex())


class _Malicious:
    """Unpickling this runs ``open(marker, 'w')``: the oracle's proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def malicious_pickle(marker: Path) -> bytes:
    return pickle.dumps({"image_encoder.x": _Malicious(marker)}, protocol=2)


def malicious_torch_file(path: Path, marker: Path) -> None:
    """A torch zip checkpoint whose data.pkl builds an object that writes ``marker`` when unpickled."""
    import torch

    torch.save({"model_state": _Malicious(marker)}, path)


# --- package helpers -------------------------------------------------------------------------


def _pkg(folder: Path, ctx: Ctx) -> Path:
    dst = folder / "in" / "pkg"
    shutil.copytree(ctx.shared["folder"], dst)
    return dst


def _rdf(pkg: Path) -> dict:
    return yaml.safe_load((pkg / "rdf.yaml").read_text())


def _write_rdf(pkg: Path, rdf: dict) -> None:
    (pkg / "rdf.yaml").write_text(yaml.safe_dump(rdf, sort_keys=False, allow_unicode=True))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tensor_entry(rdf: dict, kind: str, tid: str) -> dict:
    return next(t for t in rdf[kind] if t["id"] == tid)["test_tensor"]


def _replace_file(pkg: Path, entry: dict, data: bytes) -> None:
    (pkg / entry["source"]).write_bytes(data)
    entry["sha256"] = _sha(pkg / entry["source"])


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _zip_folder(src: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(src).as_posix())


def mutate_rdf(fn):
    """A setup that copies the good package folder to ``in/pkg`` and lets ``fn(pkg, rdf, folder)`` change it."""
    def setup(folder: Path, ctx: Ctx) -> None:
        pkg = _pkg(folder, ctx)
        rdf = _rdf(pkg)
        out = fn(pkg, rdf, folder)
        _write_rdf(pkg, rdf if out is None else out)
    return setup


def rdf_text(text: str | bytes):
    def setup(folder: Path, ctx: Ctx) -> None:
        pkg = _pkg(folder, ctx)
        data = text.encode() if isinstance(text, str) else text
        (pkg / "rdf.yaml").write_bytes(data.replace(b"{case}", str(folder).encode()))
    return setup


def zip_of(entries: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED):
    def setup(folder: Path, ctx: Ctx) -> None:
        (folder / "in").mkdir(exist_ok=True)
        token = ctx.shared["token"]
        with zipfile.ZipFile(folder / "in/p.zip", "w", compress) as zf:
            for name, data in entries.items():
                zf.writestr(name.replace("{token}", token), data)
    return setup


def zeros_zip(inflated: int, member: str = "weights.pt", rdf: bytes = b"type: model\n"):
    def setup(folder: Path, ctx: Ctx) -> None:
        (folder / "in").mkdir(exist_ok=True)
        with zipfile.ZipFile(folder / "in/p.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            if member != "rdf.yaml":
                zf.writestr("rdf.yaml", rdf)
            with zf.open(member, "w", force_zip64=True) as f:
                block = b"\0" * (1 << 20)
                for _ in range(inflated >> 20):
                    f.write(block)
    return setup


def forged_zip(folder: Path, ctx: Ctx) -> None:
    """A member whose headers declare 100 bytes but which inflates to 64 MiB."""
    (folder / "in").mkdir(exist_ok=True)
    path = folder / "in/p.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rdf.yaml", "type: model\n")
        zf.writestr("test.npy", b"\0" * (64 << 20))
    data = bytearray(path.read_bytes())
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if bytes(data[pos + name_at:pos + name_at + n]) == b"test.npy":
                struct.pack_into("<I", data, pos + size_at, 100)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def good_zip_with(fn):
    """The good package as a zip after ``fn(pkg, folder)`` changed its folder copy."""
    def setup(folder: Path, ctx: Ctx) -> None:
        pkg = _pkg(folder, ctx)
        fn(pkg, folder)
        _zip_folder(pkg, folder / "in/p.zip")
        shutil.rmtree(pkg)
    return setup


# --- validate ---------------------------------------------------------------------------------


def _v(name: str, setup, target: str = "in/pkg", codes=(1,), words: str | None = None, **kw) -> Case:
    path = target if target.startswith("/") else f"{{case}}/{target}"
    kw.setdefault("timeout", 300.0)  # a model load and inference on a loaded 2-core machine
    return Case(f"validate/{name}", ["validate", "--quick", path], codes, setup, words, **kw)


def _field(field: str, value):
    def fn(pkg, rdf, folder):
        rdf[field] = value
    return fn


def _symlink_weights(pkg, rdf, folder):
    w = rdf["weights"]["pytorch_state_dict"]["source"]
    (pkg / w).unlink()
    (folder / "secret.pt").write_bytes(b"secret")
    (pkg / w).symlink_to(folder / "secret.pt")


def _weights_pickle(pkg, rdf, folder):
    entry = rdf["weights"]["pytorch_state_dict"]
    malicious_torch_file(pkg / entry["source"], folder / "markers/weights-pickle")
    entry["sha256"] = _sha(pkg / entry["source"])


def _weights_nan(pkg, rdf, folder):
    import torch

    entry = rdf["weights"]["pytorch_state_dict"]
    state = torch.load(pkg / entry["source"], weights_only=True)
    torch.save({k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in state.items()}, pkg / entry["source"])
    entry["sha256"] = _sha(pkg / entry["source"])


def _test_dtype(pkg, rdf, folder):
    entry = _tensor_entry(rdf, "inputs", "image")
    _replace_file(pkg, entry, _npy(np.load(pkg / entry["source"]).astype("int16")))


def _test_nan_scores(pkg, rdf, folder):
    entry = _tensor_entry(rdf, "outputs", "scores")
    _replace_file(pkg, entry, _npy(np.full_like(np.load(pkg / entry["source"]), np.nan)))


def _test_object_npy(pkg, rdf, folder):
    entry = _tensor_entry(rdf, "inputs", "box_prompts")
    arr = np.empty((1,), dtype=object)
    arr[0] = _Malicious(folder / "markers/npy-pickle")
    _replace_file(pkg, entry, _npy(arr))


def _test_huge_shape_npy(pkg, rdf, folder):
    entry = _tensor_entry(rdf, "inputs", "image")
    header = {"descr": "<f8", "fortran_order": False, "shape": (1, 3, 100000, 100000)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    _replace_file(pkg, entry, buf.getvalue() + b"\0" * 64)


def _test_garbage_npy(pkg, rdf, folder):
    _replace_file(pkg, _tensor_entry(rdf, "inputs", "image"), b"not an npy file at all")


def _test_wrong_shape(pkg, rdf, folder):
    entry = _tensor_entry(rdf, "inputs", "point_labels")
    _replace_file(pkg, entry, _npy(np.ones((7, 7, 7), dtype="int64")))


def _wrong_hash(pkg, rdf, folder):
    rdf["weights"]["pytorch_state_dict"]["sha256"] = "0" * 64


def _arch_raises(pkg, rdf, folder):
    arch = rdf["weights"]["pytorch_state_dict"]["architecture"]
    path = pkg / arch["source"]
    path.write_text(path.read_text() + "\nraise RuntimeError('broken architecture file')\n")
    arch["sha256"] = _sha(path)


def _missing_weights(pkg, rdf, folder):
    (pkg / rdf["weights"]["pytorch_state_dict"]["source"]).unlink()


def _bad_cover(pkg, rdf, folder):
    entry = rdf["covers"][0]
    src = entry["source"] if isinstance(entry, dict) else entry
    (pkg / src).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\xff" * 200)
    if isinstance(entry, dict) and entry.get("sha256"):
        entry["sha256"] = _sha(pkg / src)


def _source(value):
    def fn(pkg, rdf, folder):
        rdf["weights"]["pytorch_state_dict"]["source"] = value
    return fn


def _rdf_is_dir(folder: Path, ctx: Ctx) -> None:
    pkg = _pkg(folder, ctx)
    (pkg / "rdf.yaml").unlink()
    (pkg / "rdf.yaml").mkdir()


def _rdf_fifo(folder: Path, ctx: Ctx) -> None:
    (folder / "in").mkdir(exist_ok=True)
    os.mkfifo(folder / "in/rdf.yaml")


def _rdf_devzero(folder: Path, ctx: Ctx) -> None:
    pkg = _pkg(folder, ctx)
    (pkg / "rdf.yaml").unlink()
    (pkg / "rdf.yaml").symlink_to("/dev/zero")


def _big_rdf(folder: Path, ctx: Ctx) -> None:
    pkg = _pkg(folder, ctx)
    with open(pkg / "rdf.yaml", "ab") as f:
        f.write(b"#" * (40 << 20))


def validate_cases() -> list[Case]:
    t = "{token}"
    esc = ESCAPE.format(token=t)
    rdf_only = {"rdf.yaml": b"type: model\nformat_version: 0.5.12\n"}
    return [_v("not-a-zip", lambda f, c: (f / "in").mkdir() or (f / "in/p.zip").write_text("not a zip\n"), "in/p.zip", words="not a readable zip"), _v("empty-zip-file", lambda f, c: (f / "in").mkdir() or (f / "in/p.zip").write_bytes(b""), "in/p.zip", words="not a"), _v("truncated-zip", lambda f, c: (f / "in").mkdir() or (f / "in/p.zip").write_bytes(c.shared["zip"].read_bytes()[:40000]), "in/p.zip", words="not a readable zip"), _v("zip-without-rdf", zip_of({"weights.pt": b"x"}), "in/p.zip", words="no rdf.yaml"), _v("zip-dotdot", zip_of({**rdf_only, "../../../../../../../../../../../../tmp/samzoo-fuzz-escape-{token}": b"x"}), "in/p.zip", words="unsafe zip entry"), _v("zip-absolute", zip_of({**rdf_only, "/tmp/samzoo-fuzz-escape-{token}-abs": b"x"}), "in/p.zip", words="unsafe zip entry"), _v("zip-backslash", zip_of({**rdf_only, "..\\..\\..\\evil.txt": b"x"}), "in/p.zip", words="unsafe zip entry"), _v("zip-bomb-member", zeros_zip(1 << 30), "in/p.zip", words="zip bomb"), _v("zip-bomb-rdf", zeros_zip(600 << 20, member="rdf.yaml"), "in/p.zip", words="zip bomb"), _v("zip-forged-size", forged_zip, "in/p.zip", words="not a readable zip"), _v("zip-many-members", zip_of({**rdf_only, **{f"f{i}": b"" for i in range(12000)}}, zipfile.ZIP_STORED), "in/p.zip", words="members"), _v("zip-dir-and-file", zip_of({**rdf_only, "a": b"x", "a/b": b"y"}), "in/p.zip", words="not a readable zip"), _v("zip-stored-bomb-declared", zip_of({**rdf_only, "x.pt": b"\x00" * (300 << 20)}), "in/p.zip"), _v("rdf-billion-laughs", rdf_text(BOMB_YAML), words="alias"), _v("rdf-recursive-alias", rdf_text("a: &a [1, *a]\n"), words="recursive"), _v("rdf-40mb", _big_rdf, words="more than"), _v("rdf-latin1", rdf_text("name: café\ntype: model\n".encode("latin-1")), words="not UTF-8"), _v("rdf-utf16", rdf_text("\ufefftype: model\n".encode("utf-16")), words="not UTF-8"), _v("rdf-list", rdf_text("- 1\n- 2\n"), words="not a YAML mapping"), _v("rdf-empty", rdf_text(""), words="not a YAML mapping"), _v("rdf-invalid-yaml", rdf_text("name: [unclosed\ninputs: {\n"), words="invalid YAML"), _v("rdf-python-tag", rdf_text("!!python/object/apply:builtins.open ['{case}/markers/yaml-tag', 'w']\n"), words="invalid YAML"), _v("rdf-binary-garbage", rdf_text(bytes(range(256)) * 4), words="rdf"), _v("rdf-is-a-folder", _rdf_is_dir, codes=(2,), words="without rdf.yaml"), _v("rdf-symlink-dev-zero", _rdf_devzero, codes=(2,), words="without rdf.yaml"), _v("source-fifo", _rdf_fifo, "in/rdf.yaml", codes=(2,), words="not a"), _v("source-dev-zero", None, "/dev/zero", codes=(2,), words="not a"), _v("source-missing", None, "in/nothing.zip", codes=(2,), words="no such file"), _v("field-attachments-int", mutate_rdf(_field("attachments", 5))), _v("field-covers-int", mutate_rdf(_field("covers", 5))), _v("field-weights-str", mutate_rdf(_field("weights", "w.pt"))), _v("field-inputs-dict", mutate_rdf(_field("inputs", {"a": 1}))), _v("field-documentation-int", mutate_rdf(_field("documentation", 7))), _v("field-id-list", mutate_rdf(_field("id", ["x", {"y": 1}]))), _v("field-cite-str", mutate_rdf(_field("cite", "x"))), _v("field-format-version-garbage", mutate_rdf(_field("format_version", "99.0.x"))), _v("files-wrong-sha256", mutate_rdf(_wrong_hash), words="sha256"), _v("files-missing-weights", mutate_rdf(_missing_weights), words="missing"), _v("files-symlink-outside", mutate_rdf(_symlink_weights), words="outside the package"), _v("files-dotdot-source", mutate_rdf(_source("../../../etc/passwd")), words="outside the package"), _v("files-absolute-source", mutate_rdf(_source("/etc/passwd"))), _v("tensor-object-npy", mutate_rdf(_test_object_npy)), _v("tensor-huge-shape", mutate_rdf(_test_huge_shape_npy)), _v("tensor-garbage", mutate_rdf(_test_garbage_npy)), _v("tensor-wrong-dtype", mutate_rdf(_test_dtype), words="declares uint8"), _v("tensor-nan-scores", mutate_rdf(_test_nan_scores), words="NaN"), _v("tensor-wrong-shape", mutate_rdf(_test_wrong_shape)), _v("weights-malicious-pickle", mutate_rdf(_weights_pickle)), _v("weights-nan", mutate_rdf(_weights_nan), words="NaN"), _v("arch-raises", mutate_rdf(_arch_raises), words="broken architecture file"), _v("cover-not-an-image", mutate_rdf(lambda p, r, f: _bad_cover(p, r, f)), codes=(0,), words="not a readable image"), _v("zip-of-nan-scores", good_zip_with(lambda p, f: (lambda r: (_test_nan_scores(p, r, f), _write_rdf(p, r)))(_rdf(p))), "in/p.zip", words="NaN"), Case("validate/sentinel-check", ["validate", "{case}/in/p.zip"], (1,), zip_of({**rdf_only, "../" * 30 + f"tmp/samzoo-fuzz-escape-{t}-2": b"x"}), sentinels=(esc + "-2",))]


# --- reports ----------------------------------------------------------------------------------


def _r(name: str, extra: list[str], codes, words=None, setup=None, env=None, outputs=()) -> Case:
    def base(folder: Path, ctx: Ctx) -> None:
        (folder / "in").mkdir(exist_ok=True)
        (folder / "in/p.zip").write_text("not a zip")
        if setup:
            setup(folder, ctx)
    return Case(f"report/{name}", ["validate", "{case}/in/p.zip", *extra], codes, base, words, outputs=outputs, env=env or {})


def report_cases() -> list[Case]:
    return [
        _r("report-is-a-folder", ["--report", "{case}/out.json"], (1, 2), "out.json", lambda f, c: (f / "out.json").mkdir()),
        _r("report-in-proc", ["--report", "/proc/samzoo-report.json"], (1, 2), "samzoo-report.json"),
        _r("report-parent-is-a-file", ["--report", "{case}/afile/r.md"], (1, 2), "afile", lambda f, c: (f / "afile").write_text("x")),
        _r("report-unknown-suffix", ["--report", "{case}/r.pdf"], (2,), "unknown report format", outputs=("r.pdf",)),
        _r("step-summary-is-a-folder", [], (1,), "GITHUB_STEP_SUMMARY", lambda f, c: (f / "summary").mkdir(), env={"GITHUB_STEP_SUMMARY": "{case}/summary"}),
        _r("step-summary-in-proc", [], (1,), "GITHUB_STEP_SUMMARY", env={"GITHUB_STEP_SUMMARY": "/proc/samzoo-summary"}),
        _r("jobs-zero", ["--jobs", "0"], (2,), "--jobs"),
        _r("device-cuda", ["--device", "cuda"], (2,), "cuda"),
        _r("device-garbage", ["--device", "tpu"], (2,), "--device"),
    ]


# --- build ------------------------------------------------------------------------------------


def _b(name: str, make_ckpt, codes=(2,), words=None, extra=(), timeout=120.0, **kw) -> Case:
    def setup(folder: Path, ctx: Ctx) -> None:
        (folder / "in").mkdir(exist_ok=True)
        (folder / "out").mkdir(exist_ok=True)
        if make_ckpt:
            make_ckpt(folder, ctx)
    return Case(f"build/{name}", ["build", "vit_t_lm", "--checkpoint", "{case}/in/ckpt.pt", "-o", "{case}/out/p.zip", *extra],
                codes, setup, words, outputs=("out/p.zip",), timeout=timeout, **kw)


def _ckpt_bytes(data: bytes):
    return lambda f, c: (f / "in/ckpt.pt").write_bytes(data)


def _ckpt_state(transform):
    def make(folder: Path, ctx: Ctx) -> None:
        import torch

        state = torch.load(ctx.shared["ckpt"], weights_only=True)
        torch.save(transform(state), folder / "in/ckpt.pt")
    return make


def _half(state):
    keys = sorted(state)
    return {k: state[k] for k in keys[: len(keys) // 2]}


def _nan(state):
    import torch

    return {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in state.items()}


def _inf_one(state):
    k = next(k for k, v in state.items() if v.is_floating_point())
    state[k] = state[k].clone()
    state[k].view(-1)[0] = float("inf")
    return state


def _copy_ckpt(folder: Path, ctx: Ctx) -> None:
    shutil.copyfile(ctx.shared["ckpt"], folder / "in/ckpt.pt")


def _with_image(data: bytes, name: str = "img.png"):
    def make(folder: Path, ctx: Ctx) -> None:
        _copy_ckpt(folder, ctx)
        (folder / "in" / name).write_bytes(data)
    return make


def _png_bomb() -> bytes:
    """A valid PNG header claiming 100000 x 100000 pixels (a decompression bomb), with a tiny body."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def build_cases() -> list[Case]:
    def out_exists(sub: str, kind: str):
        def make(folder: Path, ctx: Ctx) -> None:
            _copy_ckpt(folder, ctx)
            target = folder / sub
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                target.rmdir()
            if kind == "dir":
                target.mkdir()
            else:
                target.write_text("x")
        return make

    def build_with_output(name, make, output, codes, words):
        case = _b(name, make, codes, words)
        case.args[-1] = output
        case.outputs = ()
        return case

    def rebuild_after_kill() -> Case:
        case = _b("sigkill-then-rebuild", _copy_ckpt, codes=(-9,), timeout=300, signal_when=(signal.SIGKILL, "out/.p.zip.*.build", 0.5))
        case.outputs = ()
        case.then = _b("sigkill-then-rebuild", None, codes=(0,), timeout=300)
        case.then.outputs = ()
        return case

    return [
        _b("checkpoint-missing", None, words="no such file"),
        _b("checkpoint-is-a-folder", lambda f, c: (f / "in/ckpt.pt").mkdir(), words="is a folder"),
        _b("checkpoint-empty", _ckpt_bytes(b""), words="checkpoint"),
        _b("checkpoint-garbage", _ckpt_bytes(os.urandom(4096)), words="checkpoint"),
        _b("checkpoint-text", _ckpt_bytes(b"model_state: 1\n"), words="checkpoint"),
        _b("checkpoint-raw-pickle", lambda f, c: (f / "in/ckpt.pt").write_bytes(malicious_pickle(f / "markers/raw-pickle"))),
        _b("checkpoint-torch-pickle", lambda f, c: malicious_torch_file(f / "in/ckpt.pt", f / "markers/torch-pickle")),
        _b("checkpoint-truncated", lambda f, c: (f / "in/ckpt.pt").write_bytes(c.shared["ckpt"].read_bytes()[:5_000_000]), words="checkpoint"),
        _b("checkpoint-not-a-dict", _ckpt_state(lambda s: list(s.values())[:3]), words="checkpoint"),
        _b("checkpoint-empty-dict", _ckpt_state(lambda s: {}), words="checkpoint"),
        _b("checkpoint-half-the-keys", _ckpt_state(_half)),
        _b("checkpoint-float64", _ckpt_state(lambda s: {k: v.double() if v.is_floating_point() else v for k, v in s.items()}), codes=(0,), timeout=300),
        _b("checkpoint-nan", _ckpt_state(_nan), words="NaN"),
        _b("checkpoint-one-inf", _ckpt_state(_inf_one), words="inf"),
        _b("image-garbage", _with_image(b"not an image"), extra=("--image", "{case}/in/img.png"), words="image"),
        _b("image-png-bomb", _with_image(_png_bomb()), extra=("--image", "{case}/in/img.png"), words="image"),
        _b("image-is-a-folder", lambda f, c: (_copy_ckpt(f, c), (f / "in/img.png").mkdir()), extra=("--image", "{case}/in/img.png"), words="image"),
        build_with_output("output-default-name-is-a-folder", out_exists("out/faithful-chicken-1.2.zip", "dir"), "{case}/out", (2,), "is a folder"),
        build_with_output("output-parent-is-a-file", out_exists("out", "file"), "{case}/out/p.zip", (1, 2), "out"),
        build_with_output("output-in-proc", _copy_ckpt, "/proc/samzoo-fuzz.zip", (1, 2), "/proc"),
        _b("sigterm-during-build", _copy_ckpt, codes=(143,), timeout=300, signal_when=(signal.SIGTERM, "out/.p.zip.*.build", 0.5), words="terminated"),
        _b("sigint-during-build", _copy_ckpt, codes=(130,), timeout=300, signal_when=(signal.SIGINT, "out/.p.zip.*.build", 0.5), words="interrupted"),
        rebuild_after_kill(),
    ]


# --- fetch / cache / catalog / collection ------------------------------------------------------


def _f(name: str, args: list[str], codes, words=None, setup=None, env=None, timeout=90.0, **kw) -> Case:
    return Case(f"fetch/{name}", ["fetch", *args], codes, setup, words, env=env or {}, timeout=timeout, **kw)


def _garbage_cache(digest: str):
    """A cache entry for ``digest`` holding other bytes and a stamp that is not JSON: it must be re-fetched."""
    def make(folder: Path, ctx: Ctx) -> None:
        d = folder / "cache/weights" / digest.replace(":", "-")
        d.mkdir(parents=True)
        (d / "w.pt").write_bytes(os.urandom(5000))
        (d / ".verified.json").write_bytes(b"\xff{not json")
    return make


def fetch_cases(server: HostileServer) -> list[Case]:
    h = "--hash"
    fake = "sha256:" + "0" * 64
    url = server.url
    ok = [f"{url}/ok/w.pt", h, server.ok_hash]
    return [
        _f("sixteen-concurrent", ok, (0,), "encoder_path", parallel=16, timeout=600),
        _f("malicious-pickle-with-hash", [f"{url}/pickle/w.pt", h, server.pickle_hash], (1,), "loads safely",
           sentinels=(str(server.marker),), forbidden=("cache/weights/*/w.pt", "cache/unverified/*/w.pt")),
        _f("malicious-pickle-without-hash", [f"{url}/pickle/w.pt"], (1,), "loads safely",
           sentinels=(str(server.marker),), forbidden=("cache/unverified/*/w.pt",)),
        _f("cache-garbage-stamp-and-wrong-file", ok, (0,), "encoder_path", setup=_garbage_cache(server.ok_hash)),
        _f("http-404", [f"{url}/404/w.pt", h, fake], (1, 2), "404"),
        _f("http-500-always", [f"{url}/500/w.pt", h, fake], (1, 2), "500"),
        _f("server-hangs", [f"{url}/hang/w.pt", h, fake], (1, 2), "timed out", env={"SAMZOO_HTTP_TIMEOUT": "2"}),
        _f("server-trickles", [f"{url}/trickle/w.pt", h, fake], (1, 2), "too slow", env={"SAMZOO_HTTP_TIMEOUT": "2", "SAMZOO_MIN_RATE": "20000"}),
        _f("server-drops", [f"{url}/drop/w.pt", h, fake], (1, 2), "dropped"),
        _f("redirect-loop", [f"{url}/loop/w.pt", h, fake], (1, 2), "redirect"),
        _f("wrong-bytes", [f"{url}/bytes/w.pt", h, fake], (1, 2), "expected"),
        _f("huge-content-length", [f"{url}/liar/w.pt", h, fake], (1, 2)),
        _f("dead-port", ["http://127.0.0.1:9/w.pt", h, fake], (1, 2), "connect"),
        _f("bad-hash-syntax", [f"{url}/bytes/w.pt", h, "md5:zz"], (2,), "hash"),
        _f("url-garbage", ["http://[::1", h, fake], (1, 2)),
    ]


def store_cases() -> list[Case]:
    def file_at(rel: str, data: bytes = b"x"):
        def make(folder: Path, ctx: Ctx) -> None:
            p = folder / rel
            if p.is_dir():
                shutil.rmtree(p)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        return make

    def spec(data: bytes):
        return file_at("catalog/vit_b_fuzz.yaml", data)

    def collection(data: bytes):
        return file_at("in/collection.json", data)

    deep = b"[" * 200000 + b"]" * 200000
    coll_types = json.dumps({"type": "samzoo-collection", "collection": [{"model_type": ["x"], "id": {"a": 1}, "package": 5, "sha256": []}]}).encode()
    return [
        Case("store/cache-dir-is-a-file", ["fetch", "vit_t_lm", "--offline"], (1, 2), file_at("cache"), "cache"),
        Case("store/cache-list-cache-is-a-file", ["cache", "list"], (1, 2), file_at("cache"), "cache"),
        Case("store/catalog-dir-is-a-file", ["list"], (1, 2), file_at("catalog"), "catalog"),
        Case("store/user-spec-latin1", ["list"], (2,), spec("model_type: vit_b_fuzz\ndescription: caf\xe9\n".encode("latin-1")), "UTF-8"),
        Case("store/user-spec-alias-bomb", ["list"], (2,), spec(BOMB_YAML.encode()), "alias"),
        Case("store/user-spec-wrong-types", ["list"], (2,), spec(b"model_type: [1]\nversions: 5\n"), "vit_b_fuzz.yaml"),
        Case("store/user-spec-fifo", ["list"], (2,), lambda f, c: os.mkfifo(f / "catalog/vit_b_fuzz.yaml"), "vit_b_fuzz.yaml", timeout=30),
        Case("store/user-spec-python-tag", ["list"], (2,), spec(b"!!python/object/apply:builtins.open ['markers/tag', 'w']\n"), "vit_b_fuzz.yaml"),
        Case("store/collection-wrong-types", ["fetch", "{case}/in/collection.json#x"], (1, 2), collection(coll_types), "collection"),
        Case("store/collection-not-json", ["fetch", "{case}/in/collection.json#x"], (1, 2), collection(b"{nope"), "JSON"),
        Case("store/collection-deep-nesting", ["fetch", "{case}/in/collection.json#x"], (1, 2), collection(deep), "collection"),
        Case("store/collection-latin1", ["fetch", "{case}/in/collection.json#x"], (1, 2), collection('{"type": "caf\xe9"}'.encode("latin-1")), "UTF-8"),
        Case("store/package-attachments-int", ["fetch", "{case}/in/pkg"], (1, 2), mutate_rdf(_field("attachments", 5)), "attachments"),
        Case("store/package-rdf-latin1", ["fetch", "{case}/in/pkg"], (1, 2), rdf_text("name: caf\xe9\n".encode("latin-1")), "UTF-8"),
        Case("store/package-rdf-bomb", ["fetch", "{case}/in/pkg"], (1, 2), rdf_text(BOMB_YAML), "alias"),
        Case("store/package-zip-bomb", ["fetch", "{case}/in/p.zip"], (1, 2), zeros_zip(600 << 20, member="rdf.yaml"), "rdf"),
        Case("store/cache-import-pickle", ["cache", "import", "{case}/in/w.pt", "--as", "vit_t_lm"], (1, 2),
             lambda f, c: (f / "in").mkdir() or (f / "in/w.pt").write_bytes(malicious_pickle(f / "markers/import"))),
    ]


class HostileServer:
    """An HTTP server on 127.0.0.1 whose first path segment picks how it misbehaves.

    ``/404``, ``/500``: that status; ``/hang``: accepts and never answers; ``/trickle``: 1 byte
    every 0.2 s of a promised MB; ``/drop``: closes after 1 kB of a promised MB; ``/loop``: redirects
    to itself; ``/bytes``: 1 kB of random bytes; ``/liar``: promises 100 GB, sends 1 kB;
    ``/pickle``: a pickle that writes :attr:`marker` when loaded; ``/ok``: an honest checkpoint.
    """

    def __init__(self, root: Path, checkpoint: Path | None = None) -> None:
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import torch

        root.mkdir(parents=True, exist_ok=True)
        self.marker = root / "server-pickle-ran"
        if checkpoint is not None:
            ok = Path(checkpoint).read_bytes()
        else:
            buf = io.BytesIO()
            torch.save({"image_encoder.weight": torch.arange(1000, dtype=torch.float32)}, buf)
            ok = buf.getvalue()
        evil, rnd = malicious_pickle(self.marker), os.urandom(1000)
        self.ok_hash = "sha256:" + hashlib.sha256(ok).hexdigest()
        self.pickle_hash = "sha256:" + hashlib.sha256(evil).hexdigest()
        stop = self._stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, length: int | None, headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.end_headers()

            def do_GET(self) -> None:
                kind = self.path.strip("/").split("/")[0]
                try:
                    if kind in ("404", "500"):
                        self._send(int(kind), 0)
                    elif kind == "hang":
                        stop.wait(600)
                    elif kind == "trickle":
                        self._send(200, 1_000_000)
                        for _ in range(1_000_000):
                            if stop.wait(0.2):
                                return
                            self.wfile.write(b"x")
                            self.wfile.flush()
                    elif kind in ("drop", "liar"):
                        self._send(200, 1_000_000 if kind == "drop" else 100 * 1000**3)
                        self.wfile.write(rnd)
                        self.close_connection = True
                    elif kind == "loop":
                        self._send(302, 0, {"Location": self.path})
                    else:
                        body = {"bytes": rnd, "pickle": evil, "ok": ok}.get(kind)
                        if body is None:
                            self._send(404, 0)
                        else:
                            self._send(200, len(body))
                            self.wfile.write(body)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        self._time = time

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def all_cases(server: HostileServer) -> list[Case]:
    return validate_cases() + report_cases() + build_cases() + fetch_cases(server) + store_cases()

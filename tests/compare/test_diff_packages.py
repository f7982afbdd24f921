"""``samzoo diff`` end to end on real vit_t packages: one seed, the same "fine-tuned" (mask decoder moved), a docs-only
change, an automatic package; text, JSON, Markdown and HTML; ``--exit-code``; a URL source; a hostile package."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
import torch
from helpers.cli import run_cli
from helpers.http_server import FileServer
from helpers.package_zip import with_rdf

import samzoo
from samzoo.compare import render_html, render_markdown, render_text
from samzoo.plumbing.sam_models import save_random_checkpoint

pytestmark = pytest.mark.slow

TUNED = ("mask_decoder.transformer.layers.0.self_attn.q_proj.weight", "mask_decoder.output_upscaling.0.weight")


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """{"a": seed 1, "b": a with two mask decoder tensors moved by 5 %, "docs": a with another description, "ais": automatic}."""
    from samzoo.builder.ais_model import save_random_ais_checkpoint

    d = tmp_path_factory.mktemp("diff")
    save_random_checkpoint(d / "a.pt", "vit_t", seed=1)
    state = torch.load(d / "a.pt", weights_only=True)
    g = torch.Generator().manual_seed(3)
    for key in TUNED:
        state[key] = state[key] + 0.05 * state[key].std() * torch.randn(state[key].shape, generator=g)
    torch.save(state, d / "b.pt")
    save_random_ais_checkpoint(d / "ais.pt", "vit_t", seed=1)
    out = {name: samzoo.build_package("vit_t_lm", d / f"{name}.pt", output=d / f"{name}.zip", **kw).path
           for name, kw in (("a", {}), ("b", {}), ("ais", {"mode": "automatic"}))}
    out["docs"] = with_rdf(out["a"], d / "docs.zip", description="Only the description changed.")
    return out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.imgs = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.imgs += tag == "img"
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_a_package_against_itself_is_no_change_and_exit_code_0(packages):
    r = run_cli("diff", str(packages["a"]), str(packages["a"]), "--exit-code", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(r.stdout)
    assert data["identical"] and not data["differs_in_behaviour"]
    assert data["weights"]["status"] == "identical" and data["metadata"] == [] and data["files"] == []
    (inp,) = data["behaviour"]["inputs"]
    assert inp["name"] == "test inputs (the same in A and B)" and [o["iou"] for o in inp["objects"]] == [1.0]
    assert inp["embeddings_cosine"] == pytest.approx(1.0)


def test_a_tuned_mask_decoder_shows_in_weights_and_masks_in_all_four_outputs(packages, tmp_path):
    d = samzoo.diff(packages["a"], packages["b"])
    (decoder,) = [m for m in d.weights.modules if m.changed]
    assert decoder.module == "mask_decoder" and decoder.changed == 2
    assert {t.key for t in decoder.largest} == set(TUNED)
    assert all(0.02 < t.rel_l2 < 0.08 for t in decoder.largest) and 0 < decoder.rel_l2 < 0.05
    assert {m.module: m.changed for m in d.weights.modules}["image_encoder"] == 0
    (inp,) = d.behaviour.inputs
    assert inp.differs and min(o.iou for o in inp.objects) < 1.0
    assert inp.embeddings_cosine == pytest.approx(1.0)  # the encoder did not move
    assert d.differs_in_behaviour
    text, md, page = render_text(d), render_markdown(d), render_html(d)
    assert "mask_decoder: 2 of 120 tensors changed" in text and "IoU" in text
    assert md.startswith("### samzoo diff") and "#### Weights" in md and "mask_decoder" in md
    json.dumps(d.to_dict())
    tags = _Tags()
    tags.feed(page)
    assert tags.imgs == 3 and tags.urls and all(u.startswith("data:image/png;base64,") for u in tags.urls)
    assert "http://" not in page and "https://" not in page.replace("https://arxiv", "")  # no external resource
    r = run_cli("diff", str(packages["a"]), str(packages["b"]), "--exit-code", "--markdown", "--html", str(tmp_path / "d.html"))
    assert r.returncode == 1, r.stderr[-2000:]
    assert "behaviour changed" in r.stdout and (tmp_path / "d.html").stat().st_size > 1000


def test_a_docs_only_change_is_metadata_and_rdf_only(packages):
    d = samzoo.diff(packages["a"], packages["docs"])
    assert [(c.path, c.new) for c in d.metadata] == [("description", "Only the description changed.")]
    assert [f.path for f in d.files] == ["rdf.yaml"]
    assert d.weights.status == "identical" and not d.behaviour.differs and not d.differs_in_behaviour


def test_interactive_against_automatic_says_so_and_compares_the_weights(packages):
    r = run_cli("diff", str(packages["a"]), str(packages["ais"]), "--exit-code")
    assert r.returncode == 1, r.stderr[-2000:]
    assert "A is an interactive SAM package, B is an automatic (AIS) SAM package" in r.stdout
    assert "unetr_decoder" not in r.stdout.split("weights:")[0]
    assert "keys added: 66" in r.stdout  # the UNETR decoder's tensors


def test_a_url_source_static_exit_code_and_bad_sources(packages, tmp_path):
    with FileServer() as srv:
        url = srv.add("/pkg.zip", packages["docs"])
        r = run_cli("diff", str(packages["a"]), url, "--static", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert [c["path"] for c in json.loads(r.stdout)["metadata"]] == ["description"]
    r = run_cli("diff", str(packages["a"]), str(packages["b"]), "--static", "--exit-code")
    assert r.returncode == 1 and "behaviour skipped" in r.stdout  # --static: changed weights count
    r = run_cli("diff", str(packages["a"]), str(tmp_path / "missing.zip"))
    assert r.returncode == 2 and "no such package zip or folder" in r.stderr
    cut = tmp_path / "cut.zip"
    cut.write_bytes(packages["a"].read_bytes()[:100_000])
    r = run_cli("diff", str(packages["a"]), str(cut))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "not a readable zip" in r.stderr

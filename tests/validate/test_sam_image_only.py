"""``sam_image_only``: the test image alone, and the stale embedding cache of micro-sam's adaptor."""

from __future__ import annotations





def test_micro_sam_embedding_cache_is_reported_as_stale_and_the_encoder_still_checked(good_report):
    only = good_report.check("sam_image_only")
    assert only.status == "warning" and "stale embedding cache" in only.message
    # the pass ran again on a freshly loaded model: its encoder reproduces the test embeddings
    assert good_report.check("encoder").status == "passed" and "reproduces the test embeddings" in good_report.check("encoder").message

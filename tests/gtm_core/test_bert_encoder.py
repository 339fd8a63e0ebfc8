"""The NumPy sentence encoder: the packaged MiniLM without torch, agreeing with sentence-transformers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from gtm_core.bert_encoder import BertEncoder, BertEncoderError, supports
from gtm_core.embeddings import EmbeddingError, packaged_model_path

try:
    PACKAGED = packaged_model_path()
except EmbeddingError:  # pragma: no cover - depends on the install
    PACKAGED = None
needs_model = pytest.mark.skipif(PACKAGED is None, reason="the packaged model comes with the [scope] extra")

TEXTS = [
    "get weather: Current weather for a city.",
    "create order: Create an order for a customer. Parameters: customer email, items.",
    "slack post message: Post a message to a Slack channel.",
    "long: " + "a tool that does many things with files and folders " * 60,  # past the 256-token cut
]


@needs_model
def test_the_packaged_model_is_a_folder_the_encoder_runs_and_other_poolings_are_not(tmp_path):
    assert supports(PACKAGED)
    other = tmp_path / "cls-pooling"
    shutil.copytree(PACKAGED, other, ignore=shutil.ignore_patterns("model.safetensors"))
    (other / "model.safetensors").symlink_to(PACKAGED / "model.safetensors")
    (other / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    assert not supports(other)
    with pytest.raises(BertEncoderError, match="mean pooling"):
        BertEncoder(other)


@needs_model
def test_rows_are_unit_vectors_in_input_order_whatever_the_batching():
    encoder = BertEncoder(PACKAGED, batch_size=2)
    rows = encoder.encode(TEXTS)
    assert rows.shape == (4, 384) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([BertEncoder(PACKAGED).encode([t])[0] for t in TEXTS])
    assert np.allclose(rows, one_by_one, atol=1e-5)


@needs_model
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_the_vectors_agree_with_sentence_transformers():
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(str(PACKAGED), device="cpu").encode(TEXTS, normalize_embeddings=True)
    ours = BertEncoder(PACKAGED).encode(TEXTS)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.9999


@needs_model
def test_the_default_embedder_embeds_without_importing_torch(tmp_path):
    script = (
        "import sys\n"
        "from gtm_core.embeddings import Embedder\n"
        f"v = Embedder(cache_dir={str(tmp_path)!r}, progress=False).embed(['get weather: Current weather for a city.'])\n"
        "print(v.shape, 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(1,", "384)", "False"]

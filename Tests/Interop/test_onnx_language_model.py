"""A causal transformer language model exported to ONNX: batch and sequence
length are dynamic, ONNX Runtime's logits match `flint predict` within 1e-4,
and, the model being causal, the logits of a prefix are the first positions of
the logits of the whole window."""
import numpy as np

from conftest import export_onnx, need, run_flint, train

VOCABULARY, BLOCK = 13, 10


def test_language_model_runs_in_onnxruntime_at_any_length(workdir):
    yaml, h5py = need("yaml"), need("h5py")
    data = workdir / "lm-tokens.h5"
    rng = np.random.default_rng(0)
    with h5py.File(data, "w") as f:
        f["train/tokens"] = (np.cumsum(rng.integers(1, 3, size=2001)) % VOCABULARY).astype(np.uint8)
        f["test/x"] = rng.integers(0, VOCABULARY, size=(9, BLOCK), dtype=np.int64)
    spec = {
        "name": "onnx-lm", "seed": 0,
        "data": {"source": str(data), "train": {"tokens": "train/tokens", "block_size": BLOCK}, "batch_size": 16},
        "model": {"input": [BLOCK], "layers": [
            {"type": "embedding", "name": "wte", "num_embeddings": VOCABULARY, "embedding_dim": 16},
            {"type": "positional_embedding", "name": "wpe"},
            {"type": "transformer_encoder_layer", "nhead": 4, "dim_feedforward": 32, "dropout": 0.1, "causal": True},
            {"type": "transformer_encoder_layer", "nhead": 4, "dim_feedforward": 32, "causal": True, "norm_first": True,
             "activation": "gelu"},
            {"type": "positional_embedding", "sinusoidal": True},
            {"type": "layer_norm"},
            {"type": "linear", "out_features": VOCABULARY, "bias": False, "tie_weights": "wte"},
        ]},
        "loss": {"type": "cross_entropy_loss"},
        "optimizer": {"type": "adamw", "lr": 0.01},
    }
    path = workdir / "lm.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    checkpoint = train(path, workdir, data, "lm")

    model, session = export_onnx(checkpoint, workdir / "lm.onnx")
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims] == ["batch", "sequence"]
    assert model.graph.output[0].type.tensor_type.shape.dim[1].dim_param == "sequence"

    predicted = workdir / "lm-pred.h5"
    run_flint("predict", checkpoint, "--input", f"{data}:test/x", "--output", predicted, "--force")
    with h5py.File(predicted, "r") as f:
        outputs = f["outputs"][:]
    assert outputs.shape == (9, BLOCK, VOCABULARY)
    with h5py.File(data, "r") as f:
        x = f["test/x"][:]
    for rows in [1, 4, len(x)]:
        (got,) = session.run(None, {"input": x[:rows]})
        np.testing.assert_allclose(got, outputs[:rows], atol=1e-4, rtol=0)
    for length in [1, 3, BLOCK - 1]:
        (got,) = session.run(None, {"input": x[:, :length]})
        np.testing.assert_allclose(got, outputs[:, :length], atol=1e-4, rtol=0)

"""ONNX mappings layer by layer: a tiny spec around each layer type (and each
setting that changes the graph) is trained for a few steps on random data,
exported, checked by the ONNX checker and run in ONNX Runtime, whose outputs
must be those of `flint predict` within 1e-4 for several batch sizes."""
import numpy as np
import pytest

from conftest import export_onnx, need, predict, train

SEQUENCE = (6, 8)        # per-sample [L, features]
IMAGE = (4, 5, 5)        # per-sample [C, H, W]
TOKENS = (6,)            # per-sample indices into a table of VOCABULARY rows
VOCABULARY = 20
HEAD = [{"type": "flatten"}, {"type": "linear", "out_features": 3}]

# name: (input kind, layers, an ONNX op the mapping must use)
CASES = {
    "lstm": ("sequence", [{"type": "lstm", "hidden_size": 8}] + HEAD, "LSTM"),
    "lstm_stacked_bidirectional": ("sequence", [{"type": "lstm", "hidden_size": 5, "num_layers": 2, "bidirectional": True,
                                                 "dropout": 0.2}] + HEAD, "LSTM"),
    "lstm_without_bias": ("sequence", [{"type": "lstm", "hidden_size": 6, "bias": False}] + HEAD, "LSTM"),
    "gru": ("sequence", [{"type": "gru", "hidden_size": 8}] + HEAD, "GRU"),
    "gru_stacked_bidirectional": ("sequence", [{"type": "gru", "hidden_size": 5, "num_layers": 2, "bidirectional": True}] + HEAD, "GRU"),
    "rnn": ("sequence", [{"type": "rnn", "hidden_size": 8}] + HEAD, "RNN"),
    "rnn_relu_stacked_bidirectional": ("sequence", [{"type": "rnn", "hidden_size": 5, "nonlinearity": "relu", "num_layers": 2,
                                                     "bidirectional": True}] + HEAD, "RNN"),
    "embedding": ("tokens", [{"type": "embedding", "num_embeddings": VOCABULARY, "embedding_dim": 5}] + HEAD, "Gather"),
    "embedding_then_gru": ("tokens", [{"type": "embedding", "num_embeddings": VOCABULARY, "embedding_dim": 8, "padding_idx": 0},
                                      {"type": "gru", "hidden_size": 6}] + HEAD, "GRU"),
    "multihead_attention": ("sequence", [{"type": "multihead_attention", "num_heads": 2}] + HEAD, "Softmax"),
    "multihead_attention_without_bias": ("sequence", [{"type": "multihead_attention", "num_heads": 4, "bias": False}] + HEAD,
                                         "Softmax"),
    "transformer_encoder_layer": ("sequence", [{"type": "transformer_encoder_layer", "nhead": 2, "dim_feedforward": 16}] + HEAD,
                                  "LayerNormalization"),
    "transformer_encoder_layer_norm_first_gelu": ("sequence", [{"type": "transformer_encoder_layer", "nhead": 4, "dim_feedforward": 12,
                                                                "norm_first": True, "activation": "gelu"}] + HEAD, "Erf"),
    "glu": ("sequence", [{"type": "glu", "dim": -1}] + HEAD, "Split"),
    "glu_over_time": ("sequence", [{"type": "glu", "dim": 1}] + HEAD, "Split"),
    "group_norm": ("image", [{"type": "group_norm", "num_groups": 2}, {"type": "relu"}] + HEAD, "ReduceMean"),
    "group_norm_without_affine": ("image", [{"type": "conv2d", "out_channels": 6, "kernel_size": 3},
                                            {"type": "group_norm", "num_groups": 3, "affine": False}] + HEAD, "ReduceMean"),
    "group_norm_of_features": ("sequence", [{"type": "flatten"}, {"type": "linear", "out_features": 8},
                                            {"type": "group_norm", "num_groups": 4}, {"type": "linear", "out_features": 3}],
                               "ReduceMean"),
    "bilinear": ("sequence", [{"type": "linear", "out_features": 6, "name": "a"},
                              {"type": "linear", "out_features": 4, "name": "b", "inputs": ["input"]},
                              {"type": "bilinear", "out_features": 5, "inputs": ["a", "b"], "name": "pair"},
                              {"type": "flatten", "name": "flat"}, {"type": "linear", "out_features": 3, "name": "head"}], "ReduceSum"),
    "bilinear_without_bias": ("sequence", [{"type": "flatten", "name": "flat"},
                                           {"type": "linear", "out_features": 5, "name": "a"},
                                           {"type": "tanh", "name": "b", "inputs": ["a"]},
                                           {"type": "bilinear", "out_features": 3, "bias": False, "inputs": ["a", "b"]}], "ReduceSum"),
    # Token 1 pads (anywhere here, as random ids fall): the mask reaches the encoder's keys and the poolings.
    "padded_encoder_mean_pool": ("tokens", [{"type": "embedding", "name": "emb", "num_embeddings": VOCABULARY, "embedding_dim": 8,
                                             "padding_idx": 1},
                                            {"type": "padding_mask", "name": "mask", "inputs": ["input"], "padding_idx": 1},
                                            {"type": "transformer_encoder_layer", "name": "enc", "inputs": ["emb", "mask"], "nhead": 2,
                                             "dim_feedforward": 16},
                                            {"type": "mean_pool", "name": "pool", "inputs": ["enc", "mask"]},
                                            {"type": "linear", "name": "head", "out_features": 3}], "Where"),
    "padded_last_token": ("tokens", [{"type": "embedding", "name": "emb", "num_embeddings": VOCABULARY, "embedding_dim": 4},
                                     {"type": "padding_mask", "name": "mask", "inputs": ["input"], "padding_idx": 1},
                                     {"type": "last_token", "name": "last", "inputs": ["emb", "mask"]},
                                     {"type": "linear", "name": "head", "out_features": 3}], "GatherElements"),
    "mean_pool_and_last_token": ("sequence", [{"type": "mean_pool", "name": "mean"},
                                              {"type": "last_token", "name": "last", "inputs": ["input"]},
                                              {"type": "add", "inputs": ["mean", "last"]},
                                              {"type": "linear", "out_features": 3}], "ReduceMean"),
}


def inputs(kind, rows, rng):
    if kind == "tokens":
        return rng.integers(0, VOCABULARY, size=(rows,) + TOKENS, dtype=np.int64)
    return rng.standard_normal((rows,) + (SEQUENCE if kind == "sequence" else IMAGE)).astype(np.float32)


def dataset(workdir, kind):
    """train/x, train/y (96 rows) and test/x, test/y (23 rows) of random inputs and 3 classes."""
    h5py = need("h5py")
    path = workdir / f"layers-{kind}.h5"
    if not path.exists():
        rng = np.random.default_rng(0)
        with h5py.File(path, "w") as f:
            for split, rows in [("train", 96), ("test", 23)]:
                f[f"{split}/x"] = inputs(kind, rows, rng)
                f[f"{split}/y"] = rng.integers(0, 3, size=rows, dtype=np.int64)
    return path


def spec(name, kind, layers, data):
    shape = {"sequence": SEQUENCE, "image": IMAGE, "tokens": TOKENS}[kind]
    return {
        "name": f"onnx-{name}", "seed": 0,
        "data": {"source": str(data), "train": {"x": "train/x", "y": "train/y"}, "test": {"x": "test/x", "y": "test/y"},
                 "batch_size": 32},
        "model": {"input": list(shape), "layers": layers},
        "loss": {"type": "cross_entropy_loss"},
        "optimizer": {"type": "adam", "lr": 0.01},
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_runs_in_onnxruntime(name, workdir):
    yaml = need("yaml")
    kind, layers, op = CASES[name]
    data = dataset(workdir, kind)
    path = workdir / f"layer-{name}.yaml"
    path.write_text(yaml.safe_dump(spec(name, kind, layers, data), sort_keys=False))
    checkpoint = train(path, workdir, data, f"layer-{name}")

    model, session = export_onnx(checkpoint, workdir / f"layer-{name}.onnx")
    assert op in {node.op_type for node in model.graph.node}
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"

    outputs, _ = predict(checkpoint, data, workdir / f"layer-{name}-pred.h5")
    with need("h5py").File(data, "r") as f:
        x = f["test/x"][:]
    assert session.get_inputs()[0].type == ("tensor(int64)" if kind == "tokens" else "tensor(float)")
    for rows in [1, 7, len(x)]:
        (got,) = session.run(None, {"input": x[:rows]})
        np.testing.assert_allclose(got, outputs[:rows], atol=1e-4, rtol=0)

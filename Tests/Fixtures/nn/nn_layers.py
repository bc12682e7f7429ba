"""Layer cases for the FlintNN fixtures.

Each case holds the PyTorch constructor arguments, the state dict (constant
parameters and buffers are randomised so they test something), the inputs,
and per mode (train, eval) the outputs, the gradients of sum(out * w) with
respect to the inputs and every parameter, and the buffers afterwards.
`init` cases hold statistics of PyTorch's default initialisation.
"""
import copy

import torch
import torch.nn as nn

from nn_common import encode


def F32(*shape, lo=-1.0, hi=1.0):
    return ("float", shape, lo, hi)


def I64(*shape, lo=0, hi=5):
    return ("int", shape, lo, hi)


BOTH = ["train", "eval"]
EVAL = ["eval"]

# (type, constructor, kwargs as PyTorch names, inputs, modes)
LAYERS = [
    ("linear", nn.Linear, {"in_features": 5, "out_features": 3}, [F32(4, 5)], BOTH),
    ("linear", nn.Linear, {"in_features": 5, "out_features": 3, "bias": False}, [F32(2, 3, 5)], BOTH),
    ("bilinear", nn.Bilinear, {"in1_features": 3, "in2_features": 4, "out_features": 2}, [F32(5, 3), F32(5, 4)], BOTH),
    ("conv1d", nn.Conv1d, {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}, [F32(2, 2, 9)], BOTH),
    ("conv1d", nn.Conv1d, {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "padding": "same", "dilation": 2, "groups": 2},
     [F32(1, 4, 7)], BOTH),
    ("conv2d", nn.Conv2d, {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1}, [F32(2, 2, 5, 5)], BOTH),
    ("conv2d", nn.Conv2d, {"in_channels": 4, "out_channels": 6, "kernel_size": [2, 3], "stride": [2, 1], "groups": 2, "bias": False},
     [F32(1, 4, 6, 7)], BOTH),
    ("conv2d", nn.Conv2d, {"in_channels": 2, "out_channels": 3, "kernel_size": 4, "padding": "same"}, [F32(1, 2, 6, 5)], BOTH),
    ("conv_transpose2d", nn.ConvTranspose2d,
     {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [F32(2, 3, 4, 4)], BOTH),
    ("conv_transpose2d", nn.ConvTranspose2d,
     {"in_channels": 4, "out_channels": 2, "kernel_size": 2, "groups": 2, "dilation": 2, "bias": False}, [F32(1, 4, 3, 3)], BOTH),
    ("max_pool1d", nn.MaxPool1d, {"kernel_size": 3, "stride": 2, "padding": 1}, [F32(2, 3, 9)], BOTH),
    ("max_pool1d", nn.MaxPool1d, {"kernel_size": 2, "ceil_mode": True}, [F32(1, 2, 7)], EVAL),
    ("max_pool2d", nn.MaxPool2d, {"kernel_size": 2}, [F32(2, 2, 6, 6)], BOTH),
    ("max_pool2d", nn.MaxPool2d, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [F32(1, 2, 8, 7)], EVAL),
    ("avg_pool1d", nn.AvgPool1d, {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [F32(2, 3, 8)], BOTH),
    ("avg_pool2d", nn.AvgPool2d, {"kernel_size": 2}, [F32(2, 2, 6, 6)], BOTH),
    ("avg_pool2d", nn.AvgPool2d, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
     [F32(1, 2, 8, 7)], EVAL),
    ("avg_pool2d", nn.AvgPool2d, {"kernel_size": 2, "divisor_override": 3}, [F32(1, 1, 4, 4)], EVAL),
    ("adaptive_avg_pool1d", nn.AdaptiveAvgPool1d, {"output_size": 3}, [F32(2, 2, 7)], EVAL),
    ("adaptive_avg_pool2d", nn.AdaptiveAvgPool2d, {"output_size": [2, 3]}, [F32(2, 3, 7, 8)], BOTH),
    ("adaptive_avg_pool2d", nn.AdaptiveAvgPool2d, {"output_size": 1}, [F32(2, 3, 4, 4)], EVAL),
    ("adaptive_max_pool2d", nn.AdaptiveMaxPool2d, {"output_size": [2, 2]}, [F32(1, 2, 5, 6)], EVAL),
    ("batch_norm1d", nn.BatchNorm1d, {"num_features": 4}, [F32(6, 4)], BOTH),
    ("batch_norm1d", nn.BatchNorm1d, {"num_features": 4, "momentum": None}, [F32(5, 4, 3)], BOTH),
    ("batch_norm1d", nn.BatchNorm1d, {"num_features": 3, "affine": False, "track_running_stats": False}, [F32(4, 3)], BOTH),
    ("batch_norm2d", nn.BatchNorm2d, {"num_features": 3, "momentum": 0.3, "eps": 1e-3}, [F32(4, 3, 2, 2)], BOTH),
    ("layer_norm", nn.LayerNorm, {"normalized_shape": [4]}, [F32(3, 4)], BOTH),
    ("layer_norm", nn.LayerNorm, {"normalized_shape": [3, 4], "elementwise_affine": False}, [F32(2, 3, 4)], EVAL),
    ("group_norm", nn.GroupNorm, {"num_groups": 2, "num_channels": 4}, [F32(3, 4, 5)], BOTH),
    ("group_norm", nn.GroupNorm, {"num_groups": 3, "num_channels": 6, "eps": 1e-3}, [F32(2, 6, 2, 2)], EVAL),
    ("dropout", nn.Dropout, {"p": 0.3}, [F32(3, 4)], EVAL),
    ("dropout2d", nn.Dropout2d, {"p": 0.3}, [F32(2, 3, 2, 2)], EVAL),
    ("embedding", nn.Embedding, {"num_embeddings": 10, "embedding_dim": 3}, [I64(2, 4, hi=10)], BOTH),
    ("embedding", nn.Embedding, {"num_embeddings": 6, "embedding_dim": 4, "padding_idx": 0}, [I64(3, 5, hi=6)], BOTH),
    ("rnn", nn.RNN, {"input_size": 4, "hidden_size": 5}, [F32(3, 2, 4)], BOTH),
    ("rnn", nn.RNN, {"input_size": 4, "hidden_size": 3, "num_layers": 2, "nonlinearity": "relu", "bidirectional": True,
                     "batch_first": True}, [F32(2, 3, 4)], BOTH),
    ("lstm", nn.LSTM, {"input_size": 4, "hidden_size": 3}, [F32(3, 2, 4)], BOTH),
    ("lstm", nn.LSTM, {"input_size": 3, "hidden_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True},
     [F32(2, 4, 3)], BOTH),
    ("lstm", nn.LSTM, {"input_size": 3, "hidden_size": 2, "bias": False}, [F32(4, 3), F32(1, 2), F32(1, 2)], BOTH),
    ("lstm", nn.LSTM, {"input_size": 3, "hidden_size": 2, "num_layers": 2, "dropout": 0.5}, [F32(3, 2, 3)], EVAL),
    ("gru", nn.GRU, {"input_size": 4, "hidden_size": 3}, [F32(3, 2, 4), F32(1, 2, 3)], BOTH),
    ("gru", nn.GRU, {"input_size": 3, "hidden_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True},
     [F32(2, 3, 3)], BOTH),
    ("multihead_attention", nn.MultiheadAttention, {"embed_dim": 8, "num_heads": 2},
     [F32(3, 2, 8), F32(4, 2, 8), F32(4, 2, 8)], BOTH),
    ("multihead_attention", nn.MultiheadAttention, {"embed_dim": 6, "num_heads": 3, "batch_first": True, "bias": False},
     [F32(2, 4, 6)], BOTH),
    ("transformer_encoder_layer", nn.TransformerEncoderLayer, {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0},
     [F32(3, 2, 8)], BOTH),
    ("transformer_encoder_layer", nn.TransformerEncoderLayer,
     {"d_model": 6, "nhead": 2, "dim_feedforward": 10, "dropout": 0.0, "activation": "gelu", "norm_first": True,
      "batch_first": True}, [F32(2, 4, 6)], BOTH),
    ("flatten", nn.Flatten, {}, [F32(2, 3, 4)], EVAL),
    ("flatten", nn.Flatten, {"start_dim": 2}, [F32(2, 3, 2, 2)], EVAL),
    ("unflatten", nn.Unflatten, {"dim": 1, "unflattened_size": [2, 3]}, [F32(4, 6)], EVAL),
    ("identity", nn.Identity, {}, [F32(2, 3)], EVAL),
    ("prelu", nn.PReLU, {}, [F32(3, 4, lo=-2, hi=2)], BOTH),
    ("prelu", nn.PReLU, {"num_parameters": 3}, [F32(2, 3, 4, lo=-2, hi=2)], BOTH),
]

ACTIVATIONS = [
    ("relu", nn.ReLU, {}), ("relu6", nn.ReLU6, {}), ("gelu", nn.GELU, {}), ("gelu", nn.GELU, {"approximate": "tanh"}),
    ("silu", nn.SiLU, {}), ("elu", nn.ELU, {"alpha": 0.5}), ("selu", nn.SELU, {}), ("celu", nn.CELU, {"alpha": 2.0}),
    ("leaky_relu", nn.LeakyReLU, {"negative_slope": 0.2}), ("hardtanh", nn.Hardtanh, {"min_val": -0.5, "max_val": 1.5}),
    ("hardsigmoid", nn.Hardsigmoid, {}), ("hardswish", nn.Hardswish, {}), ("mish", nn.Mish, {}),
    ("softplus", nn.Softplus, {"beta": 2.0, "threshold": 3.0}), ("softsign", nn.Softsign, {}),
    ("log_sigmoid", nn.LogSigmoid, {}), ("tanh", nn.Tanh, {}), ("sigmoid", nn.Sigmoid, {}),
    ("softmax", nn.Softmax, {"dim": 1}), ("log_softmax", nn.LogSoftmax, {"dim": -1}), ("softmin", nn.Softmin, {"dim": 1}),
    ("glu", nn.GLU, {}), ("tanhshrink", nn.Tanhshrink, {}), ("softshrink", nn.Softshrink, {"lambd": 0.7}),
    ("hardshrink", nn.Hardshrink, {"lambd": 0.7}), ("threshold", nn.Threshold, {"threshold": 0.1, "value": 20.0}),
]

INIT = [
    ("linear", nn.Linear, {"in_features": 64, "out_features": 48}),
    ("bilinear", nn.Bilinear, {"in1_features": 16, "in2_features": 8, "out_features": 12}),
    ("conv1d", nn.Conv1d, {"in_channels": 8, "out_channels": 16, "kernel_size": 5}),
    ("conv2d", nn.Conv2d, {"in_channels": 8, "out_channels": 16, "kernel_size": 3}),
    ("conv_transpose2d", nn.ConvTranspose2d, {"in_channels": 16, "out_channels": 8, "kernel_size": 3}),
    ("embedding", nn.Embedding, {"num_embeddings": 100, "embedding_dim": 16, "padding_idx": 3}),
    ("rnn", nn.RNN, {"input_size": 16, "hidden_size": 32}),
    ("lstm", nn.LSTM, {"input_size": 16, "hidden_size": 32}),
    ("gru", nn.GRU, {"input_size": 16, "hidden_size": 32}),
    ("multihead_attention", nn.MultiheadAttention, {"embed_dim": 32, "num_heads": 4}),
    ("transformer_encoder_layer", nn.TransformerEncoderLayer, {"d_model": 32, "nhead": 4, "dim_feedforward": 64}),
    ("batch_norm2d", nn.BatchNorm2d, {"num_features": 8}),
    ("layer_norm", nn.LayerNorm, {"normalized_shape": [16]}),
    ("group_norm", nn.GroupNorm, {"num_groups": 2, "num_channels": 8}),
    ("prelu", nn.PReLU, {}),
]


def _make_input(enc, spec):
    kind, shape, lo, hi = spec
    if kind == "int":
        return enc.randint(lo, hi, *shape)
    return enc.uniform(*shape, lo=lo, hi=hi)


def _randomise_constants(module, enc):
    """Constant parameters and buffers (norm weights, zero biases, running
    statistics) get random values, so that they are exercised."""
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.dtype.is_floating_point or t.numel() == 0 or (t.numel() > 1 and t.std() > 0):
                continue
            lo, hi = (0.5, 1.5) if name.endswith("running_var") else (-0.8, 0.8)
            t.copy_(enc.uniform(*t.shape, lo=lo, hi=hi))


def _forward(kind, module, inputs):
    if kind in ("rnn", "gru"):
        out, h = module(inputs[0], inputs[1]) if len(inputs) > 1 else module(inputs[0])
        return [out, h]
    if kind == "lstm":
        out, (h, c) = module(inputs[0], (inputs[1], inputs[2])) if len(inputs) > 1 else module(inputs[0])
        return [out, h, c]
    if kind == "multihead_attention":
        q = inputs[0]
        k, v = (inputs[1], inputs[2]) if len(inputs) > 1 else (q, q)
        out, weights = module(q, k, v, need_weights=True)
        return [out, weights]
    if kind == "bilinear":
        return [module(inputs[0], inputs[1])]
    return [module(inputs[0])]


def _case(enc, kind, ctor, kwargs, input_specs, modes):
    base = ctor(**kwargs)
    _randomise_constants(base, enc)
    if kind == "embedding" and base.padding_idx is not None:
        with torch.no_grad():
            base.weight[base.padding_idx].zero_()
    state = {k: encode(v) for k, v in base.state_dict().items()}
    inputs = [_make_input(enc, s) for s in input_specs]
    case = {"type": kind, "args": kwargs, "state": state, "inputs": [encode(x) for x in inputs], "modes": {}}
    for mode in modes:
        module = copy.deepcopy(base)
        module.train(mode == "train")
        leaves = [x.clone().requires_grad_(x.dtype.is_floating_point) for x in inputs]
        outs = _forward(kind, module, leaves)
        weights = [enc.normal(*o.shape) for o in outs]
        sum((o * w).sum() for o, w in zip(outs, weights)).backward()
        case["modes"][mode] = {
            "outputs": [encode(o) for o in outs],
            "weights": [encode(w) for w in weights],
            "input_grads": [encode(x.grad) if x.grad is not None else None for x in leaves],
            "param_grads": {n: encode(p.grad) for n, p in module.named_parameters() if p.grad is not None},
            "buffers": {n: encode(b) for n, b in module.named_buffers()},
        }
    return case


def _init_case(kind, ctor, kwargs):
    module = ctor(**kwargs)
    stats = {}
    for name, p in module.named_parameters():
        v = p.detach().double().reshape(-1)
        stats[name] = {"shape": list(p.shape), "mean": float(v.mean()), "std": float(v.std()) if v.numel() > 1 else 0.0,
                       "min": float(v.min()), "max": float(v.max())}
    return {"type": kind, "args": kwargs, "init": stats}


def cases(enc):
    out = [_case(enc, kind, ctor, kwargs, inputs, modes) for kind, ctor, kwargs, inputs, modes in LAYERS]
    out += [_case(enc, kind, ctor, kwargs, [F32(3, 4, lo=-3, hi=3)], BOTH) for kind, ctor, kwargs in ACTIVATIONS]
    out += [_init_case(kind, ctor, kwargs) for kind, ctor, kwargs in INIT]
    return out

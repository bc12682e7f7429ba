"""Shared setup of the interop tests: the flint binary, a small MNIST slice,
checkpoints trained from the specs in models/ (one epoch on the slice), and
the equivalent torch module of a spec.

The binary is $FLINT, else the newest of .build*/release/flint and
.build*/debug/flint in the repository. Tests that need a Python package skip
with a message when it is missing.
"""
import glob
import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = sorted(glob.glob(os.path.join(REPO, "models", "*.yaml")))


def need(module):
    """Imports `module` or skips the test, naming what to install."""
    return pytest.importorskip(module, reason=f"{module} is not installed; `make test-interop` installs it")


def flint_binary():
    if os.environ.get("FLINT"):
        return os.environ["FLINT"]
    found = [p for p in glob.glob(os.path.join(REPO, ".build*", "*", "flint")) if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


def run_flint(*args, check=True):
    binary = flint_binary()
    if binary is None:
        pytest.skip("the flint executable is not built; run `make build`")
    result = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"flint {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result


def export_onnx(checkpoint, path, *flags):
    """`flint export --format onnx [flags]` to `path`: the model, which must pass
    ONNX's full check, and an ONNX Runtime session on it."""
    onnx = need("onnx")
    ort = need("onnxruntime")
    run_flint("export", checkpoint, "--format", "onnx", *flags, "--output", path, "--force")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return model, ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("interop")


@pytest.fixture(scope="session")
def mnist_slice(workdir):
    return slice_file(os.path.join(REPO, "datasets", "mnist.h5"), workdir / "mnist-slice.h5")


def slice_file(source, path):
    """Every dataset of `source` with its attributes, the splits' arrays cut to
    their first rows (1000 of training arrays, 200 of val and test), so that one
    epoch takes a moment; others (a vocabulary) whole."""
    h5py = need("h5py")
    with h5py.File(source, "r") as src, h5py.File(path, "w") as out:
        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                split = name.split("/")[0]
                rows = {"train": 1000, "val": 200, "test": 200}.get(split)
                out[name] = obj[:rows] if obj.shape and rows else obj[()]
            else:
                out.require_group(name)
            out[name].attrs.update(obj.attrs)
        src.visititems(copy)
    return path


NORMALIZED = ["{type: to_tensor}", "{type: normalize, mean: [0.1307], std: [0.3081]}"]


def write_mnist_spec(path, name, data, layers, transforms=NORMALIZED, input="[1, 28, 28]", model=(),
                     loss="{type: cross_entropy_loss}", optimizer="{type: sgd, lr: 0.05, momentum: 0.9}", batch_size=64):
    """Writes a spec on the MNIST slice (train/ and test/ images and labels): the header once, the
    layers, transforms, losses and extra `model:` lines (`outputs: [a, b]`) each a YAML line."""
    lines = "\n".join
    loss = loss if isinstance(loss, str) else "\n" + lines(f"  - {term}" for term in loss)
    path.write_text(f"""name: {name}
seed: 0
data:
  source: {data}
  train: {{x: train/images, y: train/labels}}
  test: {{x: test/images, y: test/labels}}
  batch_size: {batch_size}
  transforms:
{lines(f"    - {t}" for t in transforms)}
model:
  input: {input}
{lines(f"  {m}" for m in model)}
  layers:
{lines(f"    - {layer}" for layer in layers)}
loss: {loss}
optimizer: {optimizer}
""")
    return path


def train(spec, workdir, data, name, extra=()):
    run_dir = workdir / f"run-{name}"
    result = run_flint("train", spec, "--set", f"data.source={data}", "--set", "train.epochs=1",
                       *extra, "--run-dir", run_dir, "--quiet", "--json")
    return last_json(result.stdout)["checkpoint"]


@pytest.fixture(scope="session", params=MODELS, ids=[os.path.basename(m) for m in MODELS])
def model_run(request, workdir):
    """(checkpoint, sliced data file) of each spec in models/, trained for one
    epoch on the first rows of its own dataset."""
    yaml = need("yaml")
    name = os.path.splitext(os.path.basename(request.param))[0]
    with open(request.param) as f:
        data_spec = yaml.safe_load(f)["data"]
    if "tokens" in data_spec["train"]:
        pytest.skip("a language model's token windows have no test inputs here; test_onnx_language_model.py covers them")
    source = data_spec["source"]
    data = slice_file(os.path.join(os.path.dirname(request.param), source), workdir / f"{name}-data.h5")
    return train(request.param, workdir, data, name), data


@pytest.fixture(scope="session")
def checkpoint(model_run):
    return model_run[0]


def read_config(checkpoint_path):
    h5py, yaml = need("h5py"), need("yaml")
    with h5py.File(checkpoint_path, "r") as f:
        text = f["config"][()]
    return yaml.safe_load(text.decode() if isinstance(text, bytes) else text)


def transformed_inputs(config, images, checkpoint_path):
    """The spec's data transforms in numpy: what the model sees. `standardize`
    takes the statistics the checkpoint stores (/data/transforms/<index>)."""
    import numpy as np

    x = images
    if np.issubdtype(x.dtype, np.integer) and not config["data"].get("transforms"):
        return x.astype(np.int64)  # token ids for an embedding: the graph's input is int64
    for index, t in enumerate(config["data"].get("transforms", [])):
        if t["type"] == "standardize":
            with need("h5py").File(checkpoint_path, "r") as f:
                stored = f[f"data/transforms/{index}"]
                mean, std = stored["mean"][:].astype(np.float32), stored["std"][:].astype(np.float32)
            shape = x.shape
            x = ((x.astype(np.float32).reshape(shape[0], -1) - mean) / std).reshape(shape)
        elif t["type"] == "to_tensor":
            x = x.astype(np.float32) / 255 if x.dtype == np.uint8 else x.astype(np.float32)
        elif t["type"] == "normalize":
            shape = (1, -1) + (1,) * (x.ndim - 2)
            mean = np.array(t["mean"], dtype=np.float32).reshape(shape)
            std = np.array(t["std"], dtype=np.float32).reshape(shape)
            x = (x - mean) / std
        else:
            pytest.skip(f"transform {t['type']} has no numpy version in this test")
    return x.astype(np.float32)


# torch.nn class of each spec layer type, and the constructor argument the builder infers.
TORCH_LAYERS = {
    "linear": ("Linear", "in_features"), "conv1d": ("Conv1d", "in_channels"), "conv2d": ("Conv2d", "in_channels"),
    "batch_norm1d": ("BatchNorm1d", "num_features"), "batch_norm2d": ("BatchNorm2d", "num_features"),
    "flatten": ("Flatten", None), "relu": ("ReLU", None), "tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None),
    "gelu": ("GELU", None), "leaky_relu": ("LeakyReLU", None), "dropout": ("Dropout", None), "identity": ("Identity", None),
    "softmax": ("Softmax", None), "log_softmax": ("LogSoftmax", None), "max_pool2d": ("MaxPool2d", None),
    "avg_pool2d": ("AvgPool2d", None), "elu": ("ELU", None), "silu": ("SiLU", None),
    "lstm": ("LSTM", "input_size"), "gru": ("GRU", "input_size"), "rnn": ("RNN", "input_size"),
}

# Spec defaults that differ from the torch class's.
SPEC_DEFAULTS = {"lstm": {"batch_first": True}, "gru": {"batch_first": True}, "rnn": {"batch_first": True}}


def sequence_output(cls):
    """A torch recurrent class whose forward returns only the output sequence,
    as Flint's layer does (`output, _ = rnn(x)`), with the same state-dict names."""
    class SequenceOutput(cls):
        def forward(self, x):
            return super().forward(x)[0]
    return SequenceOutput


def torch_module(config):
    """The torch.nn.Sequential equivalent to a spec's layers, children named
    as Flint names them (the layer's `name`, else its index)."""
    torch = need("torch")
    from collections import OrderedDict

    x = torch.zeros([1] + list(config["model"]["input"]))
    children = OrderedDict()
    for i, layer in enumerate(config["model"]["layers"]):
        if layer.get("inputs"):
            pytest.skip("graph specs (inputs:) have no torch.nn.Sequential equivalent in this test")
        kind = layer["type"]
        if kind not in TORCH_LAYERS:
            pytest.skip(f"layer type {kind} has no torch equivalent in this test")
        cls, inferred = TORCH_LAYERS[kind]
        kwargs = dict(SPEC_DEFAULTS.get(kind, {}))
        kwargs.update({k: v for k, v in layer.items() if k not in ("type", "name", "inputs", "inplace")})
        if inferred and inferred not in kwargs:
            kwargs[inferred] = x.shape[-1] if kind in ("linear", "lstm", "gru", "rnn") else x.shape[1]
        torch_class = getattr(torch.nn, cls)
        module = (sequence_output(torch_class) if kind in ("lstm", "gru", "rnn") else torch_class)(**kwargs)
        module.eval()
        with torch.no_grad():
            x = module(x)
        children[str(layer.get("name", i))] = module
    return torch.nn.Sequential(children).eval()


def test_inputs(config):
    """The dataset path of the inputs to predict: the test split's, else the training split's."""
    data = config["data"]
    return (data.get("test") or data["train"])["x"]


def predict(checkpoint_path, data, out):
    """`flint predict` on the spec's test inputs; returns (outputs, every dataset written)."""
    h5py = need("h5py")
    run_flint("predict", checkpoint_path, "--input", f"{data}:{test_inputs(read_config(checkpoint_path))}", "--output", out, "--force")
    with h5py.File(out, "r") as f:
        return f["outputs"][:], {k: f[k][:] for k in f}


def model_inputs(checkpoint_path, data):
    """The transformed test inputs of a checkpoint's spec, as the model sees them."""
    h5py = need("h5py")
    config = read_config(checkpoint_path)
    with h5py.File(data, "r") as f:
        return transformed_inputs(config, f[test_inputs(config)][:], checkpoint_path)

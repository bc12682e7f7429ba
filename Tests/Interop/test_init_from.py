"""`model.init_from` and `flint train --init` with weights that torch wrote
and that only partly fit: strict refuses, naming every key; `strict: false`
(`--init-non-strict`) loads what matches by name and shape, as
`load_state_dict(strict=False)` would, and reports the rest on stderr."""
import numpy as np

from conftest import last_json, need, run_flint, write_mnist_spec

LAYERS = ["{type: flatten}", "{type: linear, out_features: 16}", "{type: relu}", "{type: linear, out_features: 10}"]


def write_spec(path, data, init_from):
    return write_mnist_spec(path, "init-from", data, LAYERS, transforms=["{type: to_tensor}"], model=[f"init_from: {init_from}"],
                            optimizer="{type: sgd, lr: 0.0}", batch_size=100)


def partial_weights(path):
    """A torch model's weights with 1.bias missing, a head of 5 classes where
    the spec has 10 (3.weight, 3.bias mis-shaped) and an extra aux.weight."""
    torch = need("torch")
    st = need("safetensors.torch")
    torch.manual_seed(0)
    source = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 5))
    state = {k: v.detach().contiguous() for k, v in source.state_dict().items() if k != "1.bias"}
    state["aux.weight"] = torch.ones(3)
    st.save_file(state, str(path))
    return {k: v.numpy() for k, v in state.items()}


def checkpoint_weights(checkpoint):
    h5py = need("h5py")
    with h5py.File(checkpoint, "r") as f:
        return {k: f["model"][k][()] for k in f["model"]}


REPORT = ("missing keys: 1.bias; unexpected keys: aux.weight; "
          "size mismatch for 3.weight: [5, 16] in the file, [10, 16] in the model; "
          "size mismatch for 3.bias: [5] in the file, [10] in the model")


def test_strict_refuses_and_names_the_keys(workdir, mnist_slice):
    weights = workdir / "partial-strict.safetensors"
    partial_weights(weights)
    spec = workdir / "init-strict.yaml"
    write_spec(spec, mnist_slice, weights)
    result = run_flint("train", spec, "--run-dir", workdir / "init-strict", "--quiet", check=False)
    assert result.returncode == 2, result.stderr
    assert f"{spec}:" in result.stderr and "model.init_from" in result.stderr
    assert REPORT in result.stderr


def test_non_strict_loads_what_fits_and_reports_the_rest(workdir, mnist_slice):
    weights = workdir / "partial.safetensors"
    torch_weights = partial_weights(weights)
    spec = workdir / "init-lenient.yaml"
    write_spec(spec, mnist_slice, f"{{path: {weights}, strict: false}}")
    for name, extra in [("spec", []), ("cli", ["--init", weights, "--init-non-strict"])]:
        if name == "cli":
            write_spec(spec, mnist_slice, "null")
        result = run_flint("train", spec, "--set", "train.epochs=1", *extra, "--run-dir", workdir / f"init-{name}", "--json")
        assert f"init from {weights} (strict: false) loaded 1 of 4 tensors; {REPORT}" in result.stderr
        loaded = checkpoint_weights(last_json(result.stdout)["checkpoint"])
        # A learning rate of 0 keeps the starting weights: torch's where they fit, Flint's own initialisation elsewhere.
        np.testing.assert_array_equal(loaded["1.weight"], torch_weights["1.weight"])
        assert loaded["3.weight"].shape == (10, 16) and np.abs(loaded["3.weight"]).max() <= 0.25
        assert not np.array_equal(loaded["1.bias"], np.zeros(16))

"""Exported ONNX models pass the checker and run in ONNX Runtime, with any
batch size, to the outputs of `flint predict`: every model in models/ (each
must export) and specs that gather many layer types. Layer-by-layer cases
are in test_onnx_layers.py."""
import numpy as np
import pytest

from conftest import NORMALIZED, export_onnx, model_inputs, need, predict, run_flint, train, write_mnist_spec


def check_onnx(checkpoint, workdir, data, name):
    model, session = export_onnx(checkpoint, workdir / f"{name}.onnx")
    assert model.opset_import[0].version == 17
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    outputs, _ = predict(checkpoint, data, workdir / f"{name}-pred.h5")
    x = model_inputs(checkpoint, data)
    for rows in [1, 7, len(x)]:
        (got,) = session.run(None, {"input": x[:rows]})
        np.testing.assert_allclose(got, outputs[:rows], atol=1e-4, rtol=0)


def test_models_run_in_onnxruntime(model_run, workdir):
    checkpoint, data = model_run
    check_onnx(checkpoint, workdir, data, "model")


CNN = [
    "{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}",
    "{type: batch_norm2d}",
    "{type: relu}",
    "{type: max_pool2d, kernel_size: 2}",
    "{type: conv2d, out_channels: 6, kernel_size: 3, stride: 2}",
    "{type: gelu}",
    "{type: max_pool2d, kernel_size: 2, stride: 1}",
    "{type: flatten}",
    "{type: dropout, p: 0.2}",
    "{type: linear, out_features: 16}",
    "{type: leaky_relu, negative_slope: 0.1}",
    "{type: linear, out_features: 10}",
]


GRAPH = [
    "{type: flatten, name: flat}",
    "{type: linear, out_features: 32, name: a}",
    "{type: tanh, name: t}",
    "{type: linear, out_features: 32, name: b}",
    "{type: gelu, approximate: tanh, name: g}",
    "{type: add, inputs: [a, g], name: residual}",
    "{type: sigmoid, name: s, inputs: [residual]}",
    "{type: mul, inputs: [s, residual], name: gate}",
    "{type: cat, inputs: [gate, a], dim: 1, name: both}",
    "{type: linear, out_features: 10, name: head}",
    "{type: log_softmax, dim: 1, name: out}",
]


@pytest.mark.parametrize("name, layers", [("cnn", CNN), ("graph", GRAPH)], ids=["convolutional-layers", "graph-with-merges"])
def test_spec_runs_in_onnxruntime(workdir, mnist_slice, name, layers):
    """A CNN with many layer types, and a graph whose branches merge (add, mul, cat)."""
    spec = write_mnist_spec(workdir / f"{name}.yaml", f"interop-{name}", mnist_slice, layers)
    check_onnx(train(spec, workdir, mnist_slice, name), workdir, mnist_slice, name)


MULTI_OUTPUT = [
    "{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, name: conv}",
    "{type: relu, name: act}",
    "{type: flatten, name: flat}",
    "{type: linear, out_features: 16, name: code}",
    "{type: tanh, name: squash}",
    "{type: linear, out_features: 10, name: logits}",
    "{type: linear, out_features: 784, name: dec, inputs: [squash]}",
    "{type: unflatten, dim: 1, unflattened_size: [1, 28, 28], name: recon}",
]


@pytest.mark.parametrize("outputs", [["logits", "recon"], ["recon", "act", "logits"]], ids=["two", "three-with-inner"])
def test_multi_output_model_runs_in_onnxruntime(workdir, mnist_slice, outputs):
    """A spec with `model.outputs` exports one ONNX output per declared output,
    named and ordered by it, each with a dynamic batch; ONNX Runtime gives what
    `flint predict` writes under outputs/<name>, whatever the batch size."""
    h5py = need("h5py")
    name = "multi-" + "-".join(outputs)
    spec = workdir / f"{name}.yaml"
    write_mnist_spec(spec, "interop-two-heads", mnist_slice, MULTI_OUTPUT, model=["outputs: [" + ", ".join(outputs) + "]"],
                     loss=["{type: cross_entropy_loss, output: logits}", "{type: mse_loss, output: recon, target: x, loss_weight: 0.1}"])
    checkpoint = train(spec, workdir, mnist_slice, name)

    model, session = export_onnx(checkpoint, workdir / f"{name}.onnx")
    assert [o.name for o in model.graph.output] == outputs
    for o in model.graph.output:
        assert o.type.tensor_type.shape.dim[0].dim_param == "batch", o.name

    pred = workdir / f"{name}-pred.h5"
    run_flint("predict", checkpoint, "--input", f"{mnist_slice}:test/images", "--output", pred, "--force")
    with h5py.File(pred, "r") as f:
        assert [n.decode() if isinstance(n, bytes) else n for n in f.attrs["outputs"]] == outputs
        expected = {n: f[f"outputs/{n}"][:] for n in outputs}
        assert list(f["predictions"]) == ["logits"] and list(f["probabilities"]) == ["logits"]
    x = model_inputs(checkpoint, mnist_slice)
    assert [o.name for o in session.get_outputs()] == outputs
    for rows in [1, 7, len(x)]:
        got = session.run(None, {"input": x[:rows]})
        for n, value in zip(outputs, got):
            assert value.shape == expected[n][:rows].shape, n
            np.testing.assert_allclose(value, expected[n][:rows], atol=1e-4, rtol=0, err_msg=n)


def test_preprocessing_graph_takes_raw_inputs(model_run, workdir):
    """`flint export --preprocessing`: the spec's transforms are in the graph, so ONNX Runtime on the
    inputs as the dataset stores them (uint8 images, raw tabular rows) gives what `flint predict` gives."""
    onnx = need("onnx")
    h5py = need("h5py")
    from conftest import read_config, test_inputs

    checkpoint, data = model_run
    model, session = export_onnx(checkpoint, workdir / "model-preprocessing.onnx", "--preprocessing")
    with h5py.File(data, "r") as f:
        raw = f[test_inputs(read_config(checkpoint))][:]
    if np.issubdtype(raw.dtype, np.integer) and not read_config(checkpoint)["data"].get("transforms"):
        pytest.skip("token ids: no transforms to put in the graph (test_models_run_in_onnxruntime runs the model)")
    expected_type = {np.uint8: onnx.TensorProto.UINT8, np.float32: onnx.TensorProto.FLOAT}[raw.dtype.type]
    assert model.graph.input[0].type.tensor_type.elem_type == expected_type
    outputs, written = predict(checkpoint, data, workdir / "model-preprocessing-pred.h5")
    for rows in [1, len(raw)]:
        (got,) = session.run(None, {"input": raw[:rows]})
        if "probabilities" in written:
            # Classifiers: the probabilities, as flint predict writes them (float32 rounding, 1e-5).
            e = np.exp(got - got.max(axis=1, keepdims=True))
            np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), written["probabilities"][:rows], atol=1e-5, rtol=0)
        else:
            # Regressors: the outputs, relative to their size (targets in the hundreds).
            np.testing.assert_allclose(got, outputs[:rows], rtol=1e-5, atol=1e-5)


CROPPED = [
    "{type: flatten}",
    "{type: linear, out_features: 10}",
]


def test_preprocessing_graph_crops_like_center_crop(workdir, mnist_slice):
    """center_crop (an odd margin: 28 to 21, torchvision's rounding) as a Slice in front of to_tensor and normalize."""
    h5py = need("h5py")
    spec = workdir / "cropped.yaml"
    write_mnist_spec(spec, "interop-cropped", mnist_slice, CROPPED, transforms=["{type: center_crop, size: 21}", *NORMALIZED],
                     input="[1, 21, 21]", optimizer="{type: sgd, lr: 0.05}")
    checkpoint = train(spec, workdir, mnist_slice, "cropped")
    _, session = export_onnx(checkpoint, workdir / "cropped.onnx", "--preprocessing")
    with h5py.File(mnist_slice, "r") as f:
        raw = f["test/images"][:]
    _, written = predict(checkpoint, mnist_slice, workdir / "cropped-pred.h5")
    (got,) = session.run(None, {"input": raw})
    e = np.exp(got - got.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), written["probabilities"], atol=1e-5, rtol=0)

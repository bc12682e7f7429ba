"""Exported safetensors are the bytes the safetensors library writes, and
load strictly into the equivalent torch module, which then computes what
`flint predict` computes."""
import numpy as np

from conftest import model_inputs, need, predict, read_config, run_flint, torch_module


def export(checkpoint, workdir, name="model.safetensors"):
    out = workdir / name
    run_flint("export", checkpoint, "--format", "safetensors", "--output", out, "--force")
    return out


def test_bytes_are_the_librarys(checkpoint, workdir):
    """Byte for byte what safetensors writes for the same tensors and metadata. The library
    writes several metadata keys in hash order (a checkpoint with class names adds `classes`),
    so then the headers are compared as JSON and the tensor bytes as bytes."""
    import json
    import struct

    st = need("safetensors.torch")
    path = export(checkpoint, workdir)
    tensors = st.load_file(str(path))
    with need("safetensors").safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    again = workdir / "again.safetensors"
    st.save_file(tensors, str(again), metadata=metadata)
    ours, theirs = path.read_bytes(), again.read_bytes()
    if len(metadata) <= 1:
        assert ours == theirs
        return
    def split(data):
        (n,) = struct.unpack("<Q", data[:8])
        return json.loads(data[8:8 + n]), data[8 + n:]
    assert split(ours) == split(theirs)


def test_load_state_dict_strict_and_same_outputs(model_run, workdir):
    torch = need("torch")
    st = need("safetensors.torch")
    checkpoint, data = model_run
    module = torch_module(read_config(checkpoint))
    state = st.load_file(str(export(checkpoint, workdir)))
    result = module.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    outputs, written = predict(checkpoint, data, workdir / "pred.h5")
    x = model_inputs(checkpoint, data)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(outputs, expected, atol=1e-4, rtol=0)
    if "probabilities" in written:
        np.testing.assert_allclose(written["probabilities"], torch.softmax(torch.from_numpy(expected), 1).numpy(), atol=1e-5)
        assert (written["predictions"] == expected.argmax(1)).mean() > 0.99

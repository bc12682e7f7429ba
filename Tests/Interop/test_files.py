"""The other files Flint writes, read by the Python tools people use:
npz with numpy, plain HDF5 and every part of a checkpoint with h5py."""
import io

import numpy as np

from conftest import need, run_flint


def test_npz_members_are_numpy_save_bytes(checkpoint, workdir):
    st = need("safetensors.numpy")
    npz, ref = workdir / "model.npz", workdir / "model.safetensors"
    run_flint("export", checkpoint, "--format", "npz", "--output", npz, "--force")
    run_flint("export", checkpoint, "--format", "safetensors", "--output", ref, "--force")
    expected = st.load_file(str(ref))
    archive = np.load(npz)
    assert sorted(archive.files) == sorted(expected)
    import zipfile

    with zipfile.ZipFile(npz) as z:
        assert z.testzip() is None
        for name, array in expected.items():
            np.testing.assert_array_equal(archive[name], array)
            buffer = io.BytesIO()
            np.save(buffer, array)
            assert z.read(name + ".npy") == buffer.getvalue(), name


def test_h5_export_has_one_dataset_per_parameter(checkpoint, workdir):
    h5py = need("h5py")
    st = need("safetensors.numpy")
    h5, ref = workdir / "model.h5", workdir / "model.safetensors"
    run_flint("export", checkpoint, "--format", "h5", "--output", h5, "--force")
    run_flint("export", checkpoint, "--format", "safetensors", "--output", ref, "--force")
    expected = st.load_file(str(ref))
    with h5py.File(h5, "r") as f:
        assert sorted(f.keys()) == sorted(expected)
        for name, array in expected.items():
            np.testing.assert_array_equal(f[name][()], array)


def test_h5py_reads_every_part_of_a_checkpoint(checkpoint):
    h5py = need("h5py")
    yaml = need("yaml")
    with h5py.File(checkpoint, "r") as f:
        attrs = dict(f.attrs)
        assert attrs["format"] in ("flint-checkpoint", b"flint-checkpoint")
        for key in ["version", "epoch", "step", "flint_version"]:
            assert key in attrs, key
        config = f["config"][()]
        config = yaml.safe_load(config.decode() if isinstance(config, bytes) else config)
        assert "model" in config and "layers" in config["model"]
        weights = {k: f["model"][k][()] for k in f["model"]}
        assert weights and all(np.all(np.isfinite(v)) for v in weights.values() if v.dtype.kind == "f")
        assert "type" in f["optimizer"].attrs and "step" in f["optimizer"].attrs and "lr" in f["optimizer"].attrs
        for name in f["optimizer"]:
            f["optimizer"][name][()]
        dict(f["scheduler"].attrs)
        for name in f["rng"]:
            assert f["rng"][name].dtype == np.int64
        order = f["data"]["order"][()]
        assert sorted(order.tolist()) == list(range(len(order)))
        assert "batch_index" in f["data"].attrs
        seen = []
        f["history"].visititems(lambda name, obj: seen.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
        assert seen and all(len(v) == int(attrs["epoch"]) for v in seen)

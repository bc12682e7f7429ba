#!/usr/bin/env python3
"""Where the time of a Flint CNN step goes: samples the harness in
bench/cnn/harness with `perf record -g` and sorts every sample into one
bucket (GEMM, im2col, col2im, pooling, elementwise, autograd, ...) by the
first frame of its stack, from the leaf up, that names one.

    python3 bench/cnn/perf_buckets.py HARNESS [--steps 200] [--threads N]

Loading MNIST is left out of the shares. Needs `perf` (any permission level
that lets it sample its own child).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (bucket, pattern on a frame's symbol); the first frame from the leaf up that matches any rule decides.
RULES = [
    (None, r"^H5|readTensor|_dl_|HDF5"),  # start-up: reading mnist.h5
    ("GEMM (OpenBLAS sgemm, packing included)", r"^(sgemm_|cblas_sgemm|blas_thread|exec_blas|inner_thread|gemm_thread)"),
    ("col2im (input gradient of conv)", r"col2im|convBackwardData"),
    ("im2col and layout copies (conv forward, weight gradient)", r"im2col|convForward|convBackwardWeight|ChannelMajor"),
    ("max pooling, forward and backward", r"maxPool|PoolSaved|maxGradient"),
    ("autograd bookkeeping (saved-tensor reflection, graph walk)",
     r"savedTensors|GradNode|Mirror|swift_dynamicCast|tryCast|getFieldAt|MetadataCache|runBackward"),
    ("relu, elementwise ops, casts", r"binaryApply|unaryApply|castKernel|stridedConvert|compareKernel|relu|floatUnary|floatBinary"),
    ("reductions (bias gradient, loss)", r"sumKernel|sumOneDim|Reduce|crossEntropy|logSoftmax|softmax"),
    ("zero-fill and copies in backward rules", r"BackwardO9gradients|fillZero|contiguous"),
    ("optimizer step", r"SGD|Optimizer"),
    ("batch gather, to_tensor, normalize", r"indexSelect|CNNHarness_main$"),
    ("malloc/free", r"^(malloc|free|_int_malloc|_int_free|cfree|swift_slowAlloc|swift_slowDealloc)$"),
]
KERNEL_LEAF = r"^(clear_page|exc_page_fault|do_anonymous_page|asm_exc|handle_mm_fault|__handle_mm_fault)"


def bucket(stack):
    if stack and re.search(KERNEL_LEAF, stack[0]):
        return "page faults"
    for frame in stack:
        for name, pattern in RULES:
            if re.search(pattern, frame):
                return name or "start-up"
    return "other (" + (stack[0] if stack else "?") + ")"


def stacks(perf_script_text):
    """Each sample's symbols, leaf first, from `perf script -F ip,sym`."""
    for block in perf_script_text.split("\n\n"):
        frames = [line.split()[-1] for line in block.strip().splitlines() if line.strip()]
        if frames:
            yield frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("harness")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        cmd = [args.harness, os.path.join(ROOT, "datasets/mnist.h5"), "--steps", str(args.steps)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        run = subprocess.run(["perf", "record", "-F", "1999", "-g", "-o", data, "--"] + cmd,
                             check=True, capture_output=True, text=True)
        print(run.stdout.strip().splitlines()[-1])
        text = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], check=True,
                              capture_output=True, text=True).stdout
    counts = collections.Counter(bucket(s) for s in stacks(text))
    counts.pop("start-up", None)
    total = sum(counts.values())
    for name, n in counts.most_common():
        if 100 * n / total >= 0.3:
            print(f"{100 * n / total:5.1f}%  {name}")
    print(f"({total} samples; buckets under 0.3% not shown)")


if __name__ == "__main__":
    sys.exit(main())

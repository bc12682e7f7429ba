# Flint: `make train` trains the default model; `make test` runs every test.
# Both install the system libraries they need on a fresh Debian machine first.

SWIFT ?= swift
SPEC ?= models/mnist_mlp.yaml
# openmpi-bin (mpirun) and its runtime libopenmpi3 for the data-parallel tests; Flint loads libmpi only under a launcher.
APT_PACKAGES := libopenblas-dev libhdf5-dev zlib1g-dev libpng-dev libjpeg-dev pkg-config openmpi-bin libopenmpi3
FLINT := .build/release/flint

.PHONY: deps build train test test-package test-interop bench clean-runs fortunes-data fortunes-topics-data

# Installs the Debian packages that are missing (apt-get update only when needed).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# The Swift runtime and Foundation are linked into `flint` statically: resolving their
# symbols across a dozen shared libraries took ~10 ms of every start (bench/startup).
STATIC := --static-swift-stdlib

build: deps
	$(SWIFT) build -c release --product flint $(STATIC)

train: build
	$(FLINT) train $(SPEC)

# Tests run optimised (numeric code is 20-80x slower in debug) with @testable imports enabled.
test: deps
	$(SWIFT) build -c release --product flint $(STATIC)
	examples/package/check.sh $(FLINT)
	$(SWIFT) test -c release -Xswiftc -enable-testing

# examples/package built as a user's package builds Flint: by URL and version.
test-package: build
	examples/package/check.sh $(FLINT)

clean-runs:
	rm -rf models/runs

# Exported files checked by the tools that read them: PyTorch (load_state_dict,
# strict), safetensors, numpy, h5py and ONNX Runtime (Tests/Interop, pytest).
# Installs the Python packages first; a test whose package is missing skips, saying so.
test-interop: build test-interop-tensorboard
	@python3 -c "import torch" 2>/dev/null || python3 -m pip install -q 'torch==2.13.0+cpu' || python3 -m pip install -q torch
	python3 -m pip install -q onnx onnxruntime safetensors h5py pytest pyyaml numpy
	FLINT=$(FLINT) python3 -m pytest -q -rs -p no:cacheprovider Tests/Interop

# TensorBoard event files read back by the tensorboard package's own reader
# (FlintTrainTests.TensorBoardTests, which skips with a message without it).
.PHONY: test-interop-tensorboard
test-interop-tensorboard: deps
	python3 -m pip install -q tensorboard
	$(SWIFT) test -c release -Xswiftc -enable-testing --filter FlintTrainTests.TensorBoardTests

# Training and evaluation speed against PyTorch on every workload of bench/workloads (MLP, CNN, ResNet, LSTM,
# transformer, character LM), in interleaved rounds; prints the ratios and writes docs/performance.md. Options go in BENCH_ARGS, e.g. on a shared
# machine: make bench BENCH_ARGS="--fraction 0.2 --rounds 5 --threads 1 --cores 1 --clock cpu".
BENCH_ARGS ?=
bench: build
	@python3 -c "import torch" 2>/dev/null || python3 -m pip install -q 'torch==2.13.0+cpu' || python3 -m pip install -q torch
	@python3 -c "import h5py, yaml" 2>/dev/null || python3 -m pip install -q h5py pyyaml
	python3 bench/workloads/bench.py --flint $(FLINT) $(BENCH_ARGS)

# The text of the shipped language model (datasets/fortunes.h5), re-imported from
# Debian's fortunes package; only the text models need the package.
FORTUNES := /usr/share/games/fortunes
fortunes-data: build
	@$(MAKE) --no-print-directory deps APT_PACKAGES=fortunes
	$(FLINT) import text $$(ls $(FORTUNES)/* | grep -v '\.dat$$\|\.u8$$') --val-fraction 0.05 --test-fraction 0.05 \
		--output datasets/fortunes.h5 --force

# The documents of the topic classifier (datasets/fortunes_topics.h5): a folder per topic
# file (a link to it), each fortune one document labelled with its file.
TOPICS := .build/fortunes-topics
fortunes-topics-data: build
	@$(MAKE) --no-print-directory deps APT_PACKAGES=fortunes
	rm -rf $(TOPICS)
	for f in $$(ls $(FORTUNES)/* | grep -v '\.dat$$\|\.u8$$'); do \
		mkdir -p $(TOPICS)/$$(basename $$f) && ln -s $$f $(TOPICS)/$$(basename $$f)/; done
	$(FLINT) import text $(TOPICS) --classes-from-dirs --separator % --level word --max-length 128 \
		--test-fraction 0.2 --stratify --output datasets/fortunes_topics.h5 --force

# Hostile inputs through every command (size bombs, YAML bombs, corrupt and bit-flipped
# checkpoints, bad HDF5/NPY/IDX/CSV files, FIFOs): counts exit codes and fails on any
# crash (a signal), hang or silently accepted change. Needs numpy and h5py to write the files.
.PHONY: test-robustness test-faults
test-robustness: build
	@python3 -c "import h5py, numpy" 2>/dev/null || python3 -m pip install -q h5py numpy
	python3 Tests/Robustness/corpus.py --flint $(FLINT)

# Property-based fuzzing (Tests/FlintTrainTests/Fuzz, swift-property-based) for longer than `make test`'s few
# cases: FUZZ_CASES per property, plus the in-process spec fuzz. A failure prints its shrunk case and a seed;
# `make fuzz FUZZ_SEED='<seed>'` replays that case. FUZZ_TIMEOUT: seconds after which one run counts as hung.
FUZZ_CASES ?= 500
FUZZ_SEED ?=
FUZZ_TIMEOUT ?= 120
.PHONY: fuzz
fuzz: build
	FLINT_FUZZ_CASES=$(FUZZ_CASES) FLINT_FUZZ_SEED='$(FUZZ_SEED)' FLINT_FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) \
		$(SWIFT) test -c release -Xswiftc -enable-testing --filter 'FuzzTests|SpecHostileFuzzTests'

# A storm of SIGKILLs during training (step checkpoints), export and import: every
# checkpoint left must load and every run resume (standard library Python only).
test-faults: build
	python3 Tests/Robustness/kill_storm.py --flint $(FLINT) --kills 100

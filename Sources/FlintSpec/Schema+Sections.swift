import FlintData

/// The tables of the spec. Sections are the fixed mappings; categories the `type:`-chosen entries.
public enum SpecSchema {
    /// Every category, in the order the docs list them.
    public static var categories: [TypeCategory] { [layers, initializers, losses, optimizers, schedulers, transforms, metrics] }

    /// Every section, in the order the docs list them.
    public static var sections: [SectionSchema] {
        [spec, data, dataArrays, validation, model, initFrom, train, clipGradNorm, earlyStopping, checkpoint, checkpointBest]
    }

    static let dataArrays = SectionSchema(
        name: "data.train, data.test",
        doc: "A split stored as two arrays of `source` (`x` and `y`), or a language model's token stream "
            + "(`tokens` and `block_size`).",
        fields: [
            FieldSchema("x", .string, .optional, doc: "Dataset path of the inputs, e.g. `train/images`."),
            FieldSchema("y", .string, .optional, doc: "Dataset path of the targets, e.g. `train/labels`."),
        ] + tokenWindowFields)

    /// A language-model split: windows of one token stream, each target the next token.
    static let tokenWindowFields = [
        FieldSchema("tokens", .string, .optional,
                    doc: "Dataset path of a 1-D stream of token ids (`flint import text` writes `train/tokens`). Sample i "
                        + "is the window `x = tokens[s : s+block_size]` with targets `y = tokens[s+1 : s+block_size+1]`, "
                        + "s = i·stride; an epoch is a shuffled pass over the windows. Instead of `x` and `y`."),
        FieldSchema("block_size", .int, .optional, range: .positive,
                    doc: "Positions per window (the context length); required with `tokens`. `model.input` is `[block_size]`."),
        FieldSchema("stride", .int, .optional, range: .positive,
                    doc: "Tokens between the starts of consecutive windows; `block_size` (no overlap) when omitted."),
    ]

    static let validation = SectionSchema(
        name: "data.val",
        doc: "The validation split: a fraction carved from `train` with the seed (`{split: 0.1}`), or its own arrays.",
        fields: [
            FieldSchema("split", .float, .optional, range: .unitOpen, doc: "Fraction of the training samples held out."),
            FieldSchema("stratify", .bool, .defaulted(.bool(false)),
                        doc: "With `split`, hold out the same share of every class; needs integer labels of shape [N]."),
            FieldSchema("x", .string, .optional, doc: "Dataset path of the inputs."),
            FieldSchema("y", .string, .optional, doc: "Dataset path of the targets."),
        ] + tokenWindowFields)

    public static let data = SectionSchema(name: "data", doc: "Where the samples come from and how they are batched.", fields: [
        FieldSchema("source", .path, .required, doc: "HDF5 file holding the arrays, relative to the spec file."),
        FieldSchema("train", .section(dataArrays), .required, doc: "The training split."),
        FieldSchema("val", .section(validation), .optional, doc: "The validation split; none when omitted."),
        FieldSchema("test", .section(dataArrays), .optional, doc: "The test split; none when omitted."),
        FieldSchema("batch_size", .int, .defaulted(.int(64)), range: .positive, doc: "Samples per batch."),
        FieldSchema("shuffle", .bool, .defaulted(.bool(true)), doc: "Reshuffle the training samples every epoch."),
        FieldSchema("transforms", .entries(transforms), .optional, doc: "Applied to the inputs of every split, in order."),
        FieldSchema("augment", .entries(transforms), .optional,
                    doc: "Applied to training inputs only, after `transforms` (unlike torchvision's usual order): "
                        + "a `fill` or `value` is in the units `transforms` leave (0-1 after to_tensor, normalised after "
                        + "normalize), and `check` warns when one is written."),
        FieldSchema("drop_last", .bool, .defaulted(.bool(false)), doc: "Drop the last training batch when it is incomplete."),
        FieldSchema("prefetch", .int, .defaulted(.int(2)), range: .nonNegative,
                    doc: "Batches prepared ahead on a background thread; 0 reads each batch when it is asked for."),
        FieldSchema("cache", .choice(CacheMode.allCases.map(\.rawValue)), .defaulted(.string("auto")),
                    doc: "`memory` reads every split into memory, `none` streams from the file, "
                        + "`auto` reads a split into memory when it fits `cache_budget_mb`."),
        FieldSchema("cache_budget_mb", .int, .defaulted(.int(1024)), range: .positive,
                    doc: "Largest split (MiB) that `cache: auto` reads into memory."),
        FieldSchema("shuffle_buffer", .int, .optional, range: .positive,
                    doc: "Samples a streamed split shuffles among; about 8 MB of samples (at least a batch) when omitted."),
    ])

    public static let model = SectionSchema(name: "model", doc: "The network.", fields: [
        FieldSchema("input", .ints(count: nil), .required, range: .positive,
                    doc: "Shape of one sample, without the batch dimension: `[1, 28, 28]`."),
        FieldSchema("blocks", .blocks, .optional,
                    doc: "Reusable sub-networks by name, each `{params: {NAME: DEFAULT}, layers: [...]}`; see Blocks."),
        FieldSchema("layers", .entries(layers), .required, doc: "The layers, run in order unless `inputs` says otherwise."),
        FieldSchema("outputs", .names, .optional,
                    doc: "Names of the layers whose outputs the model returns, in order, for losses that read several "
                        + "(`loss: [...]` with `output:`); the last layer when omitted. Metrics read the first loss's output."),
        FieldSchema("init_from", .section(initFrom), .optional,
                    doc: "Weights that initialise the model, by PyTorch name; `FILE` is short for `{path: FILE}`."),
        FieldSchema("sync_batch_norm", .bool, .defaulted(.bool(false)),
                    doc: "Under `mpirun -np N`, batch norm layers normalise with the statistics of the global batch of all "
                        + "N processes (`torch.nn.SyncBatchNorm`); false keeps per-process statistics, as DDP does. "
                        + "One process is unaffected."),
    ])

    static let initFrom = SectionSchema(
        name: "model.init_from", doc: "Starting weights, like PyTorch's `model.load_state_dict(state, strict)`.", fields: [
            FieldSchema("path", .path, .required,
                        doc: "A safetensors file, a Flint checkpoint or an HDF5 weights file, with PyTorch state-dict names."),
            FieldSchema("strict", .bool, .defaulted(.bool(true)),
                        doc: "Every parameter and buffer of the model must be in the file with its shape, and nothing else; "
                            + "false loads what matches by name and shape and reports the missing, unexpected and "
                            + "mis-shaped keys on stderr."),
        ], shorthand: "path")

    // The loop's defaults are written once, in `TrainSpec`'s initialisers (TrainSpec.swift).
    private static let loop = TrainSpec()
    // `max_norm` is required; any value shows the other fields' defaults.
    private static let clip = ClipGradNormSpec(maxNorm: 1)

    public static let train = SectionSchema(name: "train", doc: "The training loop.", fields: [
        FieldSchema("epochs", .int, .defaulted(.int(loop.epochs)), range: .positive, doc: "Passes over the training split."),
        FieldSchema("metrics", .entries(metrics), .optional,
                    doc: "Reported for every split besides the loss (see Metrics): `[accuracy, f1, {type: top_k_accuracy, k: 5}]`; "
                        + "`val/accuracy` for classifiers when omitted."),
        FieldSchema("log_every_steps", .int, .optional, range: .positive,
                    doc: "Log the running loss every this many steps; once per epoch when omitted."),
        FieldSchema("eval_every_epochs", .int, .defaulted(.int(loop.evalEveryEpochs)), range: .positive,
                    doc: "Validate every this many epochs, and always after the last one."),
        FieldSchema("accumulate_steps", .int, .defaulted(.int(loop.accumulateSteps)), range: .positive,
                    doc: "Micro-batches whose gradients add up to one optimizer step (Lightning's `accumulate_grad_batches`)."),
        FieldSchema("max_time", .string, .optional,
                    doc: "Stop with a checkpoint after this long, resumed time included: seconds (`3600`), "
                        + "`DD:HH:MM:SS`, or units such as `90m`, `1h30m`, `2d`."),
        FieldSchema("nan_guard", .choice(TrainSpec.NaNGuard.allCases.map(\.rawValue)), .defaulted(.string(loop.nanGuard.rawValue)),
                    doc: "When the loss, a gradient or a parameter is not finite: `stop` fails the run, "
                        + "`skip` drops the batch."),
        FieldSchema("tensorboard", .bool, .defaulted(.bool(loop.tensorboard)), doc: "Write TensorBoard event files to `<run>/tensorboard`."),
        FieldSchema("tensorboard_histograms", .bool, .defaulted(.bool(loop.tensorboardHistograms)),
                    doc: "Also write a histogram of every parameter at the end of each epoch."),
        FieldSchema("clip_grad_norm", .section(clipGradNorm), .optional,
                    doc: "Rescale the gradients to a largest joint norm before each optimizer step "
                        + "(`torch.nn.utils.clip_grad_norm_`, after accumulation); off when omitted."),
        FieldSchema("clip_grad_value", .float, .optional, range: .positive,
                    doc: "Clamp every gradient to [-value, value] before each optimizer step "
                        + "(`torch.nn.utils.clip_grad_value_`, after accumulation); off when omitted."),
        FieldSchema("early_stopping", .section(earlyStopping), .optional,
                    doc: "Stop when a monitored metric stops improving (Lightning's `EarlyStopping`); off when omitted."),
        FieldSchema("checkpoint", .section(checkpoint), .optional, doc: "When checkpoints are written and kept."),
        FieldSchema("limit_batches", .int, .optional, range: .positive,
                    doc: "Train on at most this many batches per epoch, the first of each epoch's order "
                        + "(Lightning's `limit_train_batches`); every batch when omitted. `flint train --fast-dev-run` sets it to 1."),
        FieldSchema("limit_val_batches", .int, .optional, range: .positive,
                    doc: "Validate on at most this many batches (Lightning's `limit_val_batches`); every batch when omitted."),
        FieldSchema("limit_test_batches", .int, .optional, range: .positive,
                    doc: "Test on at most this many batches (Lightning's `limit_test_batches`); every batch when omitted."),
        FieldSchema("test_checkpoint", .choice(TrainSpec.TestCheckpoint.allCases.map(\.rawValue)), .optional,
                    doc: "Which weights the test metrics at the end of training come from: `best.h5`'s or the last "
                        + "epoch's; `best` when `checkpoint.best` or `early_stopping` chooses a best checkpoint, else "
                        + "`last`. The output names it (`test (best.h5, epoch 3)`, `test_checkpoint` in `--json`)."),
    ])

    static let clipGradNorm = SectionSchema(
        name: "train.clip_grad_norm", doc: "`torch.nn.utils.clip_grad_norm_` over every parameter, before each optimizer step.",
        fields: [
            FieldSchema("max_norm", .float, .required, range: .positive, doc: "Largest joint norm of the gradients."),
            FieldSchema("norm_type", .float, .defaulted(.double(clip.normType)), range: .positive, allowsInfinity: true,
                        doc: "p of the p-norm; `.inf` for the largest absolute value."),
            FieldSchema("error_if_nonfinite", .bool, .defaulted(.bool(clip.errorIfNonfinite)),
                        doc: "Fail the run when the joint norm is NaN or infinite."),
        ], absentMeansOff: true)

    static let earlyStopping = SectionSchema(
        name: "train.early_stopping", doc: "Lightning's `EarlyStopping` callback, checked after each validation.", fields: [
            FieldSchema("monitor", .string, .defaulted(.string(EarlyStoppingSpec().monitor)), doc: "Metric watched, e.g. `val/loss`, `val/accuracy`."),
            FieldSchema("mode", .choice(MetricMode.allCases.map(\.rawValue)), .optional,
                        doc: "Whether lower or higher is better; from the metric's name (loss: min, accuracy: max) when omitted."),
            FieldSchema("patience", .int, .defaulted(.int(EarlyStoppingSpec().patience)), range: .nonNegative,
                        doc: "Checks without improvement before stopping."),
            FieldSchema("min_delta", .float, .defaulted(.double(EarlyStoppingSpec().minDelta)), range: .nonNegative,
                        doc: "Smallest change that counts as an improvement."),
            FieldSchema("strict", .bool, .defaulted(.bool(EarlyStoppingSpec().strict)), doc: "Fail when the monitored metric is missing."),
            FieldSchema("check_finite", .bool, .defaulted(.bool(EarlyStoppingSpec().checkFinite)), doc: "Stop when the metric is NaN or infinite."),
            FieldSchema("stopping_threshold", .float, .optional, doc: "Stop as soon as the metric is this good."),
            FieldSchema("divergence_threshold", .float, .optional, doc: "Stop as soon as the metric is this bad."),
        ], absentMeansOff: true)

    static let checkpointBest = SectionSchema(
        name: "train.checkpoint.best", doc: "Keep a copy of the best checkpoint by a metric.", fields: [
            FieldSchema("metric", .string, .required, doc: "Metric compared, e.g. `val/accuracy`."),
            FieldSchema("mode", .choice(MetricMode.allCases.map(\.rawValue)), .optional,
                        doc: "Whether lower or higher is better; from the metric's name when omitted."),
        ])

    static let checkpoint = SectionSchema(name: "train.checkpoint", doc: "When checkpoints are written and kept.", fields: [
        FieldSchema("every_epochs", .int, .defaulted(.int(CheckpointSpec().everyEpochs)), range: .positive, doc: "Write one every this many epochs."),
        FieldSchema("every_steps", .int, .optional, range: .positive, doc: "Also write one every this many steps."),
        FieldSchema("keep_last", .int, .defaulted(.int(CheckpointSpec().keepLast)), range: .atLeast(-1),
                    doc: "Numbered checkpoints kept besides `last.h5` and `best.h5`; 0 keeps none, -1 keeps all."),
        FieldSchema("best", .section(checkpointBest), .optional, doc: "Also keep the best checkpoint by a metric."),
    ])

    public static let spec = SectionSchema(name: "spec", doc: "The top level of a spec file.", fields: [
        FieldSchema("name", .string, .optional, doc: "Name of the run; the spec's file name when omitted."),
        FieldSchema("seed", .int, .defaulted(.int(0)), range: .nonNegative,
                    doc: "Seeds every random generator: initialisation, shuffling, splits, dropout."),
        FieldSchema("vars", .anything, .optional,
                    doc: "Free-form values for `${vars.name}` references and YAML anchors; not validated."),
        FieldSchema("extends", .names, .optional,
                    doc: "Base spec(s), relative to this file, deep-merged under this one (mappings merge, lists are replaced)."),
        FieldSchema("data", .section(data), .required, doc: "The data."),
        FieldSchema("model", .section(model), .required, doc: "The network."),
        FieldSchema("loss", .entryOrList(losses), .required,
                    doc: "The loss, or a list of losses summed with their `loss_weight`."),
        FieldSchema("optimizer", .entry(optimizers), .required, doc: "The optimizer."),
        FieldSchema("scheduler", .entry(schedulers), .optional, doc: "The learning-rate schedule; constant when omitted."),
        FieldSchema("train", .section(train), .optional, doc: "The training loop; all defaults when omitted."),
    ])
}

/// The tables of the spec. Sections are the fixed mappings; categories the `type:`-chosen entries.
public enum SpecSchema {
    /// Every category, in the order the docs list them.
    public static var categories: [TypeCategory] { [layers, losses, optimizers, schedulers, transforms] }

    /// Every section, in the order the docs list them.
    public static var sections: [SectionSchema] { [spec, data, dataArrays, validation, model, train] }

    static let dataArrays = SectionSchema(name: "data.train, data.test", doc: "A split stored as two arrays of `source`.", fields: [
        FieldSchema("x", .string, .required, doc: "Dataset path of the inputs, e.g. `train/images`."),
        FieldSchema("y", .string, .required, doc: "Dataset path of the targets, e.g. `train/labels`."),
    ])

    static let validation = SectionSchema(
        name: "data.val",
        doc: "The validation split: a fraction carved from `train` with the seed (`{split: 0.1}`), or its own arrays.",
        fields: [
            FieldSchema("split", .float, .optional, range: .unitOpen, doc: "Fraction of the training samples held out."),
            FieldSchema("x", .string, .optional, doc: "Dataset path of the inputs."),
            FieldSchema("y", .string, .optional, doc: "Dataset path of the targets."),
        ])

    public static let data = SectionSchema(name: "data", doc: "Where the samples come from and how they are batched.", fields: [
        FieldSchema("source", .path, .required, doc: "HDF5 file holding the arrays, relative to the spec file."),
        FieldSchema("train", .section(dataArrays), .required, doc: "The training split."),
        FieldSchema("val", .section(validation), .optional, doc: "The validation split; none when omitted."),
        FieldSchema("test", .section(dataArrays), .optional, doc: "The test split; none when omitted."),
        FieldSchema("batch_size", .int, .defaulted(.int(64)), range: .positive, doc: "Samples per batch."),
        FieldSchema("shuffle", .bool, .defaulted(.bool(true)), doc: "Reshuffle the training samples every epoch."),
        FieldSchema("transforms", .entries(transforms), .optional, doc: "Applied to the inputs of every split, in order."),
        FieldSchema("augment", .entries(transforms), .optional, doc: "Applied to training inputs only, after `transforms`."),
    ])

    public static let model = SectionSchema(name: "model", doc: "The network.", fields: [
        FieldSchema("input", .ints(count: nil), .required, range: .positive,
                    doc: "Shape of one sample, without the batch dimension: `[1, 28, 28]`."),
        FieldSchema("blocks", .blocks, .optional,
                    doc: "Reusable sub-networks by name, each `{params: {NAME: DEFAULT}, layers: [...]}`; see Blocks."),
        FieldSchema("layers", .entries(layers), .required, doc: "The layers, run in order unless `inputs` says otherwise."),
        FieldSchema("init_from", .path, .optional, doc: "Checkpoint whose weights initialise the model."),
    ])

    public static let train = SectionSchema(name: "train", doc: "The training loop.", fields: [
        FieldSchema("epochs", .int, .defaulted(.int(1)), range: .positive, doc: "Passes over the training split."),
        FieldSchema("metrics", .choices(["accuracy"]), .defaulted(.strings([])),
                    doc: "Reported for every split besides the loss."),
        FieldSchema("log_every_steps", .int, .optional, range: .positive,
                    doc: "Log the running loss every this many steps; once per epoch when omitted."),
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
        FieldSchema("loss", .entry(losses), .required, doc: "The loss."),
        FieldSchema("optimizer", .entry(optimizers), .required, doc: "The optimizer."),
        FieldSchema("scheduler", .entry(schedulers), .optional, doc: "The learning-rate schedule; constant when omitted."),
        FieldSchema("train", .section(train), .optional, doc: "The training loop; all defaults when omitted."),
    ])
}

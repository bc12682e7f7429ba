/// The layer table: one entry per `torch.nn` module the spec can name, each the
/// schema of a registration in `Layers/` (where its builder sits beside it).
extension SpecSchema {
    public static let layers = TypeCategory(
        name: "layer", plural: "layers",
        doc: "A module of `model.layers`, named after its `torch.nn` class. Layers run in order; "
            + "`name` and `inputs` turn the list into a graph (see Graphs). Sizes of the input "
            + "(`in_features`, `in_channels`, `num_features`, `input_size`, `embed_dim`, `d_model`) are "
            + "inferred from the shape flowing in; a value written anyway must agree with it.",
        types: LayerTypes.all.map(\.schema),
        commonFields: [
            FieldSchema("name", .string, .optional,
                        doc: "Name for `inputs` and for the state-dict prefix (`fc1.weight`); the layer's index when omitted."),
            FieldSchema("inputs", .names, .optional,
                        doc: "Names of the layers (or `input`, the model's input) this one reads; "
                            + "the previous layer when omitted."),
            layerInit,
        ]
    )
}

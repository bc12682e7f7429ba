/// The initialisers of a layer's `init:`, named after the `torch.nn.init` functions
/// without their trailing underscore.
extension SpecSchema {
    public static let initializers = TypeCategory(
        name: "initializer", plural: "initializers",
        doc: "How `init` fills a parameter of a layer, named after its `torch.nn.init` function "
            + "(`kaiming_normal` for `kaiming_normal_`). Fan in and fan out are those of PyTorch: for a weight "
            + "`[out, in, *kernel]`, fan_in = in·∏kernel and fan_out = out·∏kernel.",
        types: InitializerTypes.all.map(\.schema)
    )

    static let layerInit = FieldSchema(
        "init", .entryMap(initializers), .optional,
        doc: "Initialisers replacing PyTorch's default for some of the layer's parameters, by name or "
            + "pattern (`*` any text, `?` one character) of the layer's own state-dict names: "
            + "`{weight: {type: kaiming_normal, mode: fan_out, nonlinearity: relu}, bias: zeros}`, "
            + "`{'weight_*': orthogonal}`. A name that matches no parameter is an error.")
}

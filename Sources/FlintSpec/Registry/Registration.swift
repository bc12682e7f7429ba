/// One loss, scheduler, transform or initializer type, registered once: its schema
/// (fields with PyTorch's defaults, checks and the docs of `docs/spec.md`) beside the
/// function that builds it, so adding a type is one edit and a type cannot be
/// half-added. `RegistryTests` builds every registered type from its `example` and
/// finds it in the generated docs. (Layers have `LayerType`, which also carries an
/// input shape; optimizers read their defaults from FlintNN's options structs.)
public struct Registration<Build> {
    public let schema: TypeSchema
    /// The fields a valid entry cannot do without, as YAML flow-mapping text (`T_max: 10`).
    public let example: String
    public let build: Build

    public var name: String { schema.name }

    public init(_ schema: TypeSchema, example: String = "", build: Build) {
        self.schema = schema
        self.example = example
        self.build = build
    }
}

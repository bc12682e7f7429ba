import Foundation

/// Renders the schema tables as Markdown (`docs/spec.md`), so the reference and the
/// decoder read the same tables and cannot drift apart.
extension SpecSchema {
    public static func markdown() -> String {
        var out = """
        # The Flint spec

        <!-- Generated from the tables in Sources/FlintSpec/Schema*.swift; do not edit by hand. -->

        A spec is one YAML file. Every layer, loss, optimizer, scheduler and transform is
        named after its PyTorch (torchvision) class in snake_case, and its fields are that
        class's constructor arguments with PyTorch's defaults. Sizes the builder can infer
        (`in_features`, `in_channels`, `num_features`) may be omitted.

        - Unknown keys and types are errors, with a "did you mean" where one fits; every
          problem is reported at once as `FILE:LINE:COLUMN: error: MESSAGE`.
        - `extends: base.yaml` deep-merges this file over a base (relative to this file):
          mappings merge key by key, lists are replaced, and an entry whose `type` changes
          is replaced whole.
        - `${path.to.value}` refers to another value of the spec. Alone, it takes that value
          with its type; inside text, it is substituted as text. `\\${` writes a literal `${`.
        - `--set KEY=VALUE` overrides any value from the shell; KEY is a dotted path where
          list items are numbered from 0 (`model.layers.3.out_features=64`, `-1` is the last,
          the list's length appends), VALUE is YAML (`[1, 2]`, `{type: adam}`).
          `--set KEY~` removes a key or a list item.
        - A `null` value is the same as leaving the key out.
        - Order: the file and its bases, then overrides, then references, then validation.

        ## Graphs

        Layers run in order, each reading the one before it, unless a layer says otherwise:

        ```yaml
        layers:
          - {type: conv2d, out_channels: 16, kernel_size: 3, padding: 1, name: conv}
          - {type: relu, name: act}
          - {type: add, inputs: [input, act]}      # a residual connection
        ```

        - `name` names a layer for `inputs` and is its state-dict prefix (`conv.weight`);
          an unnamed layer's prefix is its index in the list (`0.weight`).
        - `inputs` lists the layers a layer reads; `input` is the model's (or block's) input.
          Without it, a layer reads the layer before it. Names may point forwards: layers run
          in data-flow order, the written order where it allows.
        - `add` and `mul` join inputs of the same per-sample shape (sizes of 1 broadcast);
          `cat` joins along `dim` (of the batched tensors: `1` is the channels). Every other
          layer takes one input.
        - The last layer written is the model's output. A layer whose output nothing reads is
          a warning; a cycle, an unknown name or inputs whose shapes do not join are errors.

        ## Blocks

        A block is a named sub-network with parameters, defined under `model.blocks` and used
        as a layer type. In its layers, `${params.NAME}` stands for the value of a parameter:
        alone, it takes the value with its type; inside text, it is inserted as text. Inside
        `{...}` quote it (`'${params.channels}'`): there YAML reads braces as structure.

        ```yaml
        model:
          blocks:
            basic:
              params: {channels: 64, stride: 1}   # defaults; a null default makes a parameter required
              layers:
                - {type: conv2d, out_channels: '${params.channels}', kernel_size: 3, stride: '${params.stride}', padding: 1, name: conv1}
                - {type: batch_norm2d, name: bn1}
                - {type: relu}
          layers:
            - {type: basic, name: layer1, channels: 16}             # layer1.conv1.weight
            - {type: basic, name: layer2, channels: 32, repeat: 2}  # layer2.0.conv1.weight, layer2.1.conv1.weight
        ```

        - A use takes the block's parameters, `repeat`, `name` and `inputs`. Unknown
          parameters and missing required ones are errors at the use.
        - `repeat: N` makes N copies, one after the other, named `0` ... `N-1` under the use's
          name, as PyTorch's ResNet nests its stages; without `repeat` the block's layers sit
          directly under the use's name.
        - The block's layers form a graph of their own, whose `input` is the use's input and
          whose output is the block's last layer. Blocks may use other blocks.
        - Each use is checked with its own values: a value that does not fit is reported where
          the use wrote it, a shape problem inside the block at the block's line, naming the use.


        """
        out += "## Sections\n\n"
        for section in sections {
            out += "### `\(section.name)`\n\n\(section.doc)\n\n"
            out += table(section.fields)
        }
        for category in categories {
            out += "## \(category.plural.capitalized)\n\n\(category.doc)\n\n"
            if !category.commonFields.isEmpty {
                out += "Every \(category.name) also accepts:\n\n" + table(category.commonFields)
            }
            for type in category.types {
                out += "### `\(type.name)`\n\n`\(type.pytorch)`: \(type.doc)\n\n"
                out += type.fields.isEmpty ? "No fields.\n\n" : table(type.fields)
            }
        }
        return out
    }

    private static func table(_ fields: [FieldSchema]) -> String {
        var out = "| key | kind | default | range | description |\n| --- | --- | --- | --- | --- |\n"
        for field in fields {
            let presence: String
            switch field.presence {
            case .required: presence = "**required**"
            case .optional: presence = "none"
            case .defaulted(let value): presence = "`\(value)`"
            }
            let range = field.range.map { "`\($0)`" } ?? ""
            out += "| `\(field.name)` | \(field.kind.summary) | \(presence) | \(range) | \(field.doc) |\n"
        }
        return out + "\n"
    }
}

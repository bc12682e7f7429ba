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

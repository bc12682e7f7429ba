import Foundation
import Flint
import FlintNN

/// What `flint summary` prints: torchinfo's table of layers, output shapes and
/// parameter counts, with totals; or the same as one JSON object.
public struct ModelSummary {
    public let input: [Int]
    public let built: BuiltModel

    public init(input: [Int], built: BuiltModel) {
        self.input = input
        self.built = built
    }

    /// Scalar parameters, all trainable.
    public var totalParameters: Int { built.module.parameterCount }

    /// Scalars in buffers (running statistics), saved with the weights but not trained.
    public var bufferElements: Int { built.module.namedBuffers().reduce(0) { $0 + $1.tensor.count } }

    /// The table. Blocks show `--` for their own count, as torchinfo does for
    /// containers, since their layers are listed (and counted) under them.
    public func table() -> String {
        let header = ("Layer (type)", "Output shape", "Param #")
        let rows = built.layers.map { row in
            (String(repeating: "  ", count: row.depth) + "\(row.name) (\(row.type))",
             "\(row.output)",
             row.isContainer ? "--" : grouped(row.parameters))
        }
        let nameWidth = max(header.0.count, rows.map(\.0.count).max() ?? 0)
        let shapeWidth = max(header.1.count, rows.map(\.1.count).max() ?? 0)
        let countWidth = max(header.2.count, rows.map(\.2.count).max() ?? 0)
        let width = nameWidth + shapeWidth + countWidth + 4
        func line(_ name: String, _ shape: String, _ count: String) -> String {
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + shape.padding(toLength: shapeWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: countWidth - count.count) + count
        }
        var out = [line(header.0, header.1, header.2), String(repeating: "=", count: width)]
        out += rows.map { line($0.0, $0.1, $0.2) }
        out.append(String(repeating: "=", count: width))
        let bytes = Double(totalParameters * 4) / 1_048_576
        out += [
            "Input shape (per sample): \(input)",
            "Output shape (per sample): \(built.output)",
            "Total params: \(grouped(totalParameters))",
            "Trainable params: \(grouped(totalParameters))",
            "Non-trainable params: 0",
            "Buffer elements: \(grouped(bufferElements))",
            "Params size (MB): " + String(format: "%.2f", bytes),
        ]
        return out.joined(separator: "\n") + "\n"
    }

    /// One JSON object: `{"input", "output", "total_params", "trainable_params", "buffer_elements", "layers": [...]}`.
    public func json() -> String {
        func shape(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ",") + "]" }
        let layers = built.layers.map { row in
            "{\"name\":\(JSON.quote(row.name)),\"type\":\(JSON.quote(row.type)),\"output_shape\":\(shape(row.output)),"
                + "\"params\":\(row.parameters),\"depth\":\(row.depth),\"container\":\(row.isContainer)}"
        }
        return "{\"input\":\(shape(input)),\"output\":\(shape(built.output)),\"total_params\":\(totalParameters),"
            + "\"trainable_params\":\(totalParameters),\"buffer_elements\":\(bufferElements),"
            + "\"layers\":[\(layers.joined(separator: ","))]}"
    }

    /// 1234567 as `1,234,567`.
    private func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}

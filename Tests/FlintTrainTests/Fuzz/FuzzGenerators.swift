import Foundation
import PropertyBased

/// Generators of hostile inputs. Each case is drawn as small integers (indices into lists
/// whose first, simplest entries are where shrinking heads) and arrays of them, so that
/// PropertyBased shrinks a failure to few layers, few overrides and plain values; the cases
/// print as the text `flint` was given.
enum FuzzGen {
    // MARK: Specs and --set overrides

    /// Sizes valid and past every limit; none that fits yet fills gigabytes (the suite cannot
    /// afford those: they are refused only when they do not fit).
    static let sizes = ["1", "3", "0", "-1", "1e8", "1099511627776", "1099511627777", "4611686018427387904",
                        "0x7fffffffffffffff", "99999999999999999999", ".inf", ".nan", "[]", "[1, 2]", "{}", "'7'",
                        "null", "true", "ten"]
    static let layerTemplates = [
        "{type: relu}", "{type: linear, out_features: %}", "{type: conv2d, out_channels: %, kernel_size: %, padding: %}",
        "{type: unflatten, dim: 1, unflattened_size: [%, %]}", "{type: flatten}", "{type: dropout, p: %}",
        "{type: embedding, num_embeddings: %, embedding_dim: %}", "{type: adaptive_avg_pool2d, output_size: %}",
        "{type: max_pool2d, kernel_size: %, dilation: %}", "{type: lstm, hidden_size: %}", "{type: batch_norm1d}",
        "{type: relu, repeat: %}", "{type: linear, out_features: %, inputs: [%]}",
    ]
    static let overrideKeys = ["optimizer.lr", "data.batch_size", "train.epochs", "model.input", "model.input.0",
                               "model.layers.0.start_dim", "model.layers.1.out_features", "model.layers.-1.out_features",
                               "model.layers.9.out_features", "seed", "optimizer.momentum", "data.val.split",
                               "loss.label_smoothing", "train.clip_grad_norm.max_norm", "data.prefetch", "name"]
    static let overrideValues = sizes + [String(repeating: "[", count: 80) + String(repeating: "]", count: 80),
                                         String(repeating: "{a: ", count: 80) + "1" + String(repeating: "}", count: 80),
                                         "${model.input}", "${vars.x}", "../x", "'a: b'", "[1, [2, [3]]]"]

    /// A spec over the shipped digits dataset with generated layers between its flatten and
    /// its classifier, and generated `--set` overrides.
    static let specs = zip(Gen.int(in: 0..<layerTemplates.count).array(of: 0...4),
                           Gen.int(in: 0..<sizes.count).array(of: 12),
                           Gen.int(in: 0..<(overrideKeys.count * overrideValues.count)).array(of: 0...3))
        .map { layers, holes, overrides in SpecCase(layers: layers, holes: holes, overrides: overrides) }

    struct SpecCase: CustomStringConvertible, Sendable {
        var layerLines: [String]
        var overrides: [String]

        init(layers: [Int], holes: [Int], overrides: [Int]) {
            var next = holes.makeIterator()
            layerLines = layers.map { index in
                var text = FuzzGen.layerTemplates[index]
                while let hole = text.firstIndex(of: "%") {
                    text.replaceSubrange(hole...hole, with: FuzzGen.sizes[next.next() ?? 0])
                }
                return text
            }
            self.overrides = overrides.map { code in
                FuzzGen.overrideKeys[code % FuzzGen.overrideKeys.count] + "=" + FuzzGen.overrideValues[code / FuzzGen.overrideKeys.count]
            }
        }

        func yaml(data: String) -> String {
            """
            name: fuzz
            seed: 0
            data:
              source: \(data)
              train: {x: train/images, y: train/labels}
              val: {split: 0.25}
              test: {x: test/images, y: test/labels}
              batch_size: 8
              transforms:
                - {type: to_tensor}
            model:
              input: [1, 8, 8]
              layers:
                - {type: flatten}
            \(layerLines.map { "    - " + $0 }.joined(separator: "\n"))
                - {type: linear, out_features: 10}
            loss: {type: cross_entropy_loss}
            optimizer: {type: sgd, lr: 0.05}
            train:
              epochs: 1

            """
        }

        var description: String {
            "layers \(layerLines) overrides \(overrides)"
        }
    }

    // MARK: Data files for `flint import`

    static let npyDescrs = ["<f4", "<i8", "|u1", "<f8", ">f4", "<i4", "|b1", "<f2", ">i8", "<c8", "<U3", "|O", "<V8", "x", ""]
    static let npyDims = ["1", "3", "0", "2", "-1", "1099511627776", "4611686018427387904", "9223372036854775807",
                          "99999999999999999999", "'a'", "1.5", "None"]
    static let csvCells = ["1", "0", "-2.5", "", "a", "nan", "1e39", "-1e39", "inf", "\"q\"", "\"x,y\"", "\"open",
                           "0x10", "1e-50", "  3 ", "label", "\u{FEFF}1", "NULL"]
    static let idxTypes: [UInt8] = [0x08, 0x0D, 0x09, 0x0B, 0x0C, 0x0E, 0x07, 0x00, 0xFF]
    static let idxDims: [UInt32] = [1, 3, 0, 2, 8, 60000, 65536, 0x7FFF_FFFF, 0xFFFF_FFFF]

    /// One input file of a generated format, with the arguments that import it.
    static let dataFiles = zip(Gen.int(in: 0...2),
                               Gen.int(in: 0..<64).array(of: 0...6),
                               Gen.int(in: 0...600),
                               Gen.bool)
        .map { format, picks, payload, variant in DataFileCase(format: format, picks: picks, payload: payload, variant: variant) }

    struct DataFileCase: CustomStringConvertible, Sendable {
        var name: String
        var bytes: Data
        var arguments: [String]

        init(format: Int, picks: [Int], payload: Int, variant: Bool) {
            switch format {
            case 0:
                // NPY: magic, version, header length, a dict header padded to 16 bytes, payload.
                let descr = FuzzGen.npyDescrs[(picks.first ?? 0) % FuzzGen.npyDescrs.count]
                let dims = picks.dropFirst().map { FuzzGen.npyDims[$0 % FuzzGen.npyDims.count] }
                let shape = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
                var header = "{'descr': '\(descr)', 'fortran_order': \(variant ? "True" : "False"), 'shape': \(shape), }"
                header += String(repeating: " ", count: (16 - (10 + header.utf8.count + 1) % 16) % 16) + "\n"
                var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
                let length = UInt16(truncatingIfNeeded: header.utf8.count)
                bytes.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
                bytes.append(contentsOf: Array(header.utf8))
                bytes.append(Data(repeating: 0x3F, count: payload))
                name = "x.npy"
                self.bytes = bytes
                arguments = ["import", "npy", "x.npy:train/x", "--output", "out.h5"]
            case 1:
                // CSV: rows of generated cells, ragged on purpose.
                let cells = picks.map { FuzzGen.csvCells[$0 % FuzzGen.csvCells.count] }
                let width = max(1, payload % 5)
                let rows = stride(from: 0, to: cells.count, by: width).map { cells[$0..<min($0 + width, cells.count)].joined(separator: ",") }
                let header = (0..<width).map { "c\($0)" }.joined(separator: ",")
                name = "x.csv"
                bytes = Data(((variant ? [header] : []) + rows).joined(separator: "\n").utf8)
                arguments = ["import", "csv", "x.csv", "--target", "0", "--output", "out.h5"]
            default:
                // IDX: zero, zero, element type, rank, big-endian dimensions, payload; gzip-named when `variant`.
                let type = FuzzGen.idxTypes[(picks.first ?? 0) % FuzzGen.idxTypes.count]
                let dims = picks.dropFirst().map { FuzzGen.idxDims[$0 % FuzzGen.idxDims.count] }
                var bytes = Data([0, 0, type, UInt8(dims.count)])
                for dim in dims { bytes.append(contentsOf: withUnsafeBytes(of: dim.bigEndian, Array.init)) }
                bytes.append(Data(repeating: 7, count: payload))
                name = variant ? "train-x.gz" : "train-x-idx"
                self.bytes = bytes
                arguments = ["import", "idx", name, "--split", "train", "--output", "out.h5"]
            }
        }

        var description: String {
            "\(name) (\(bytes.count) bytes: \(bytes.prefix(96).map { String(format: "%02x", $0) }.joined()))"
        }
    }

    // MARK: Bit flips

    /// One to three bit positions in a file of `bits` bits.
    static func flips(bits: Int) -> Generator<[Int], some Sequence> {
        Gen.int(in: 0..<bits).array(of: 1...3)
    }
}

extension Data {
    /// A copy with each bit in `bits` inverted (bit 0 is the lowest bit of byte 0).
    func flipping(_ bits: [Int]) -> Data {
        var copy = self
        for bit in bits where bit / 8 < copy.count { copy[bit / 8] ^= UInt8(1 << (bit % 8)) }
        return copy
    }
}

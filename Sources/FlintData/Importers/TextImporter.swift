import Foundation
import Flint
import FlintHDF5

/// How `importText` tokenises and splits plain text for a language model.
public struct TextImportOptions: Sendable {
    public var level: TokenLevel
    /// Share of each file's tokens that goes to `val/tokens` (after its training part).
    public var valFraction: Double
    /// Share of each file's tokens that goes to `test/tokens` (its last part).
    public var testFraction: Double
    public var overwrite: Bool

    public init(level: TokenLevel = .char, valFraction: Double = 0, testFraction: Double = 0, overwrite: Bool = false) {
        self.level = level
        self.valFraction = valFraction
        self.testFraction = testFraction
        self.overwrite = overwrite
    }
}

/// What a text import wrote.
public struct TextImportReport: Sendable, CustomStringConvertible {
    public var vocabulary: TextVocabulary
    /// Tokens per split, in the order train, val, test (only the splits written).
    public var splits: [(name: String, tokens: Int)]
    /// `uint8` when the vocabulary fits a byte, else `int32`.
    public var dtype: DType

    public var description: String {
        let sizes = splits.map { "\($0.name)/tokens \($0.tokens)" }.joined(separator: ", ")
        return "\(vocabulary.level.rawValue) level: \(vocabulary.count) tokens in the vocabulary (with <unk>), "
            + "\(sizes) (\(dtype))"
    }
}

/// Tokenises text files into one token stream per split for language models
/// (`flint import text`): `train/tokens` (and `val/tokens`, `test/tokens` with
/// fractions) hold token ids, 1-D, `uint8` when the vocabulary has at most 256
/// entries, else `int32`; the vocabulary is the group `vocab` (see
/// `TextVocabulary`). Each file is cut into contiguous parts, train then val
/// then test, and each split is its files' parts in order: no window of a
/// split reaches into another, and every file contributes to every split.
/// The root records the source files, their sizes and SHA-256.
@discardableResult
public func importText(_ files: [String], output: String, options: TextImportOptions = TextImportOptions()) throws -> TextImportReport {
    guard !files.isEmpty else { throw DataError.invalid("flint import text needs at least one file") }
    let v = options.valFraction, t = options.testFraction
    guard v >= 0, t >= 0, v + t < 1, v.isFinite, t.isFinite else {
        throw DataError.invalid("--val-fraction (\(v)) and --test-fraction (\(t)) must be at least 0 and sum to less than 1")
    }
    var units: [[TextUnit]] = []
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError.invalid("\(file): cannot read the file") }
        if options.level == .byte {
            units.append(TextUnit.bytes(data))
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                throw DataError.invalid("\(file): not valid UTF-8 text (import it with --level byte)")
            }
            units.append(TextUnit.split(text, level: options.level))
        }
    }
    let vocabulary = try TextVocabulary.build(level: options.level, units: units)
    let names = ["train", "val", "test"]
    var streams: [[Int32]] = [[], [], []]
    for piece in units {
        let n = piece.count
        let testCount = Int((Double(n) * t).rounded()), valCount = Int((Double(n) * v).rounded())
        let ends = [n - valCount - testCount, n - testCount, n]
        var start = 0
        for (k, end) in ends.enumerated() {
            streams[k] += piece[start..<end].map { Int32(vocabulary.id($0)) }
            start = end
        }
    }
    let wanted = [true, v > 0, t > 0]
    for k in names.indices where wanted[k] && streams[k].count < 2 {
        throw DataError.invalid("\(names[k])/tokens would hold \(streams[k].count) tokens; a language model needs at least 2 "
                                + "(the text has \(units.map(\.count).reduce(0, +)) tokens at the \(options.level.rawValue) level)")
    }
    let dtype: DType = vocabulary.count <= 256 ? .uint8 : .int32
    var written: [(name: String, tokens: Int)] = []
    try writeImport(to: output, overwrite: options.overwrite, format: "text", sources: files) { file in
        try file.setAttribute("source_sha256", try files.map { try sha256Hex(ofFile: $0) })
        try file.setAttribute("source_bytes", files.map { ((try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int) ?? 0 })
        for k in names.indices where wanted[k] {
            let path = "\(names[k])/tokens"
            let dataset: HDF5Dataset
            if dtype == .uint8 {
                dataset = try file.createDataset(path, values: streams[k].map { UInt8(truncatingIfNeeded: $0) }, shape: [streams[k].count])
            } else {
                dataset = try file.createDataset(path, values: streams[k], shape: [streams[k].count])
            }
            try dataset.setAttribute("level", options.level.rawValue)
            written.append((names[k], streams[k].count))
        }
        try vocabulary.write(to: try file.createGroup("vocab"))
    }
    return TextImportReport(vocabulary: vocabulary, splits: written, dtype: dtype)
}

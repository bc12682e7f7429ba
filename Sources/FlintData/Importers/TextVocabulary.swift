import Foundation
import FlintHDF5

/// What one token of a text is.
public enum TokenLevel: String, Sendable, CaseIterable {
    /// One Unicode scalar (`"é"` is one token, as Python's `list(str)` splits it).
    case char
    /// One byte of the UTF-8 encoding (any file, every byte value a token).
    case byte
    /// A run of letters, digits, `_` and `'`, or one other non-space character;
    /// whitespace separates tokens and is not kept.
    case word
}

/// The tokens of an imported text and their ids: id 0 is `<unk>`, which every
/// token not seen at import time maps to; documents imported for classification
/// have `<pad>` as id 1, the filler after each document's last token (it never
/// occurs in text, since no tokenisation spells it); the others follow in sorted
/// order (by code point for `char`, by byte value for `byte`, by spelling for `word`).
///
/// Stored in the dataset file (and in checkpoints, so that `flint generate`
/// needs nothing else) as the group `vocab`: `tokens` (strings `[V]`), `counts`
/// (int64 `[V]`, occurrences in the imported text), `codes` (int64 `[V]`: the
/// code point or byte value of each token, −1 for `<unk>`; char and byte
/// levels only, and authoritative there since HDF5 strings cannot hold NUL or
/// a lone byte), and the attributes `level`, `unk_id` and (with `<pad>`) `pad_id`.
public struct TextVocabulary: Equatable, Sendable {
    public static let unknown = "<unk>"
    public static let unknownID = 0
    public static let pad = "<pad>"
    /// Where `<pad>` sits when the vocabulary has it.
    public static let padPosition = 1

    public let level: TokenLevel
    /// Spelling of each id; `tokens[0] == "<unk>"`.
    public let tokens: [String]
    /// Occurrences of each token in the text the vocabulary was built from.
    public let counts: [Int64]
    /// The scalar value (char) or byte (byte) of each id, −1 for `<unk>`; empty for words.
    public let codes: [Int64]
    /// The id of `<pad>` (1), or nil for a language model's vocabulary, which has none.
    public let padID: Int?
    private let codeIDs: [Int64: Int]
    private let wordIDs: [String: Int]

    public var count: Int { tokens.count }

    public init(level: TokenLevel, tokens: [String], counts: [Int64], codes: [Int64]) throws {
        guard tokens.first == Self.unknown, counts.count == tokens.count,
              level == .word ? codes.isEmpty : codes.count == tokens.count else {
            throw DataError.invalid("a vocabulary needs '<unk>' first and one count (and for char and byte levels one code) per token")
        }
        self.level = level
        self.tokens = tokens
        self.counts = counts
        self.codes = codes
        let padID = tokens.count > Self.padPosition && tokens[Self.padPosition] == Self.pad ? Self.padPosition : nil
        self.padID = padID
        var codeIDs: [Int64: Int] = [:]
        for (id, code) in codes.enumerated() where id != Self.unknownID && id != padID { codeIDs[code] = id }
        self.codeIDs = codeIDs
        var wordIDs: [String: Int] = [:]
        if level == .word { for (id, token) in tokens.enumerated() where id != Self.unknownID && id != padID { wordIDs[token] = id } }
        self.wordIDs = wordIDs
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.level == b.level && a.tokens == b.tokens && a.counts == b.counts && a.codes == b.codes
    }

    /// The vocabulary of every token in `units` (each a sequence of units of `level`),
    /// with `<pad>` as id 1 when `padded`.
    static func build(level: TokenLevel, units: [[TextUnit]], padded: Bool = false) throws -> TextVocabulary {
        var counts: [TextUnit: Int64] = [:]
        for piece in units { for unit in piece { counts[unit, default: 0] += 1 } }
        let sorted = counts.keys.sorted()
        var tokens = [unknown], tally: [Int64] = [0], codes: [Int64] = level == .word ? [] : [-1]
        if padded {
            tokens.append(pad)
            tally.append(0)
            if level != .word { codes.append(-1) }
        }
        for unit in sorted {
            tokens.append(unit.spelling(level))
            tally.append(counts[unit] ?? 0)
            if case .code(let c) = unit { codes.append(c) }
        }
        return try TextVocabulary(level: level, tokens: tokens, counts: tally, codes: codes)
    }

    // MARK: - Text and ids

    /// The ids of `text`, tokenised at this vocabulary's level; unseen tokens are `<unk>` (0).
    public func encode(_ text: String) -> [Int] {
        TextUnit.split(text, level: level).map(id)
    }

    func id(_ unit: TextUnit) -> Int {
        switch unit {
        case .code(let c): return codeIDs[c] ?? Self.unknownID
        case .word(let w): return wordIDs[w] ?? Self.unknownID
        }
    }

    /// The text of `ids`: characters joined, bytes decoded as UTF-8 (a broken
    /// sequence becomes U+FFFD), words joined by spaces. `<unk>` reads U+FFFD; `<pad>` reads as nothing.
    public func decode(_ ids: [Int]) -> String {
        let ids = padID.map { pad in ids.filter { $0 != pad } } ?? ids
        switch level {
        case .char:
            var text = String.UnicodeScalarView()
            for id in ids {
                let code = codes.indices.contains(id) && id != Self.unknownID ? codes[id] : 0xFFFD
                text.append(Unicode.Scalar(UInt32(truncatingIfNeeded: code)) ?? "\u{FFFD}")
            }
            return String(text)
        case .byte:
            var bytes: [UInt8] = []
            for id in ids {
                if codes.indices.contains(id) && id != Self.unknownID { bytes.append(UInt8(truncatingIfNeeded: codes[id])) }
                else { bytes += [0xEF, 0xBF, 0xBD] }
            }
            return String(decoding: bytes, as: UTF8.self)
        case .word:
            return ids.map { tokens.indices.contains($0) && $0 != Self.unknownID ? tokens[$0] : "\u{FFFD}" }.joined(separator: " ")
        }
    }

    /// The text one id stands for, as `decode` would join it after earlier
    /// tokens (a word brings its leading space); bytes of an unfinished UTF-8
    /// sequence are left for `decode` over the whole sequence.
    public func piece(_ id: Int, first: Bool) -> String {
        level == .word && !first ? " " + decode([id]) : decode([id])
    }

    // MARK: - In a file

    /// Writes the group `vocab` layout described above into `group`.
    public func write(to group: HDF5Group) throws {
        try group.setAttribute("level", level.rawValue)
        try group.setAttribute("unk_id", Self.unknownID)
        if let padID { try group.setAttribute("pad_id", padID) }
        try group.createDataset("tokens", strings: tokens)
        try group.createDataset("counts", values: counts, shape: [counts.count])
        if !codes.isEmpty { try group.createDataset("codes", values: codes, shape: [codes.count]) }
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> TextVocabulary {
        let levelName = try group.stringAttribute("level")
        guard let level = TokenLevel(rawValue: levelName) else {
            throw DataError.invalid("\(group.path): unknown token level '\(levelName)' (char, byte or word)")
        }
        let codes = group.contains("codes") ? try group.dataset("codes").readArray(as: Int64.self) : []
        return try TextVocabulary(level: level, tokens: try group.dataset("tokens").readStrings(),
                                  counts: try group.dataset("counts").readArray(as: Int64.self), codes: codes)
    }

    /// The vocabulary stored in the HDF5 file at `path` (group `vocab`), or nil when it has none.
    public static func read(file path: String) throws -> TextVocabulary? {
        let file = try HDF5File.open(path)
        guard file.contains("vocab") else { return nil }
        return try read(from: try file.group("vocab"))
    }
}

/// One token before it has an id: a code point or byte value, or a word.
enum TextUnit: Hashable, Comparable {
    case code(Int64)
    case word(String)

    static func < (a: TextUnit, b: TextUnit) -> Bool {
        switch (a, b) {
        case let (.code(x), .code(y)): return x < y
        case let (.word(x), .word(y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        case (.code, .word): return true
        case (.word, .code): return false
        }
    }

    func spelling(_ level: TokenLevel) -> String {
        switch self {
        case .word(let w): return w
        case .code(let c) where level == .char: return Unicode.Scalar(UInt32(truncatingIfNeeded: c)).map { String($0) } ?? "\u{FFFD}"
        case .code(let c): return c < 0x80 ? String(UnicodeScalar(UInt8(truncatingIfNeeded: c))) : String(format: "\\x%02X", Int(c))
        }
    }

    /// The units of `text` at `level` (bytes of its UTF-8 encoding at the byte level).
    static func split(_ text: String, level: TokenLevel) -> [TextUnit] {
        switch level {
        case .char: return text.unicodeScalars.map { .code(Int64($0.value)) }
        case .byte: return text.utf8.map { .code(Int64($0)) }
        case .word: return words(text)
        }
    }

    static func bytes(_ data: Data) -> [TextUnit] { data.map { .code(Int64($0)) } }

    private static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil || s == "_" || s == "'"
    }

    private static func words(_ text: String) -> [TextUnit] {
        var units: [TextUnit] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { units.append(.word(String(current))) }
            current = String.UnicodeScalarView()
        }
        for s in text.unicodeScalars {
            if isWordScalar(s) {
                current.append(s)
            } else {
                flush()
                if !s.properties.isWhitespace { units.append(.word(String(s))) }
            }
        }
        flush()
        return units
    }
}

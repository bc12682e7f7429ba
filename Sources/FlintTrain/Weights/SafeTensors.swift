import Foundation
import Flint

/// The `.safetensors` format, byte for byte as the safetensors library
/// (`safetensors.torch.save_file`) writes it:
///
///     [u64 little-endian N][N bytes of JSON header, padded with spaces to a multiple of 8][tensor bytes]
///
/// The header maps each name to `{"dtype","shape","data_offsets"}` (offsets
/// into the bytes after the header), preceded by `"__metadata__"` when there
/// is metadata. Tensors are laid out by dtype, widest alignment first, then
/// by name — the order the library sorts them in — and the header lists them
/// in that same order, as compact JSON.
public enum SafeTensors {
    /// The library's limit on the header size, which readers enforce.
    static let maxHeaderBytes = 100_000_000

    /// The safetensors dtype name of a Flint dtype.
    static func name(of dtype: DType) -> String {
        switch dtype {
        case .bool: return "BOOL"
        case .uint8: return "U8"
        case .int32: return "I32"
        case .int64: return "I64"
        case .float32: return "F32"
        case .float64: return "F64"
        }
    }

    /// Position in the library's `Dtype` enum (BOOL, …, U8, …, I32, U32, F32,
    /// F64, I64, U64): tensors are sorted by it, descending.
    static func order(of dtype: DType) -> Int {
        switch dtype {
        case .bool: return 0
        case .uint8: return 1
        case .int32: return 2
        case .float32: return 3
        case .float64: return 4
        case .int64: return 5
        }
    }

    /// The file's bytes for `tensors`. With `metadata`, the header starts with
    /// `"__metadata__"`; give at most one key to stay byte-identical with the
    /// library, which writes several keys in hash order.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil) throws -> Data {
        var seen = Set<String>()
        for (name, _) in tensors where !seen.insert(name).inserted {
            throw TrainError.badInput("safetensors: tensor name '\(name)' appears twice")
        }
        if seen.contains("__metadata__") {
            throw TrainError.badInput("safetensors: a tensor may not be named '__metadata__'")
        }
        let sorted = tensors.sorted { a, b in
            let (oa, ob) = (order(of: a.tensor.dtype), order(of: b.tensor.dtype))
            // Rust compares Strings bytewise, which is Array(utf8) order.
            return oa != ob ? oa > ob : Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
        }
        var entries: [String] = []
        if let metadata, !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { JSON.quote($0.key) + ":" + JSON.quote($0.value) }
            entries.append(JSON.quote("__metadata__") + ":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let bytes = tensor.count * tensor.dtype.itemSize
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ",") + "]"
            entries.append(JSON.quote(name) + ":{\"dtype\":\"\(Self.name(of: tensor.dtype))\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, tensor) in sorted { tensor.withContiguousBytes { data.append(contentsOf: $0) } }
        return data
    }

    /// Reads every tensor of a `.safetensors` file, in file order, and its
    /// metadata. F16 and BF16 tensors widen to float32. Every inconsistency
    /// (short file, bad header, offsets outside the data) is an error naming
    /// the file.
    public static func read(from path: String) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainError.badInput("\(path): no such file, or it cannot be read")
        }
        return try decode(data, file: path)
    }

    /// Parses the bytes of a `.safetensors` file; `file` names it in errors.
    static func decode(_ data: Data, file: String) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        func bad(_ why: String) -> TrainError { .badInput("\(file): not a valid safetensors file: \(why)") }
        guard data.count >= 8 else { throw bad("it is \(data.count) bytes long, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderBytes), Int(headerLength) <= data.count - 8 else {
            throw bad("the header claims \(headerLength) bytes but the file has \(data.count - 8) after the length")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd))
        } catch {
            throw bad("the header is not JSON")
        }
        guard let header = json as? [String: Any] else { throw bad("the header is not a JSON object") }
        let dataBytes = data.count - headerEnd
        var metadata: [String: String] = [:]
        var located: [(name: String, start: Int, tensor: Tensor)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ is not a map of strings") }
                metadata = m
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = (info["shape"] as? [NSNumber])?.map({ $0.intValue }),
                  let offsets = (info["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offsets.count == 2
            else { throw bad("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("entry '\(name)' has a negative dimension in \(shape)") }
            let (start, end) = (offsets[0], offsets[1])
            guard start >= 0, start <= end, end <= dataBytes else {
                throw bad("entry '\(name)' has data_offsets [\(start), \(end)] outside the \(dataBytes) data bytes")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let bytes = data.subdata(in: (headerEnd + start)..<(headerEnd + end))
            let tensor: Tensor
            switch dtypeName {
            case "F16", "BF16":
                guard count.multipliedReportingOverflow(by: 2).partialValue == bytes.count else {
                    throw bad("entry '\(name)' holds \(bytes.count) bytes, not \(count) \(dtypeName) values")
                }
                tensor = try Tensor(widenHalf(bytes, brain: dtypeName == "BF16"), shape: shape)
            default:
                guard let dtype = DType.allCases.first(where: { Self.name(of: $0) == dtypeName }) else {
                    throw TrainError.badInput("\(file): tensor '\(name)' has dtype \(dtypeName), which Flint does not read "
                                              + "(it reads \(DType.allCases.map { Self.name(of: $0) }.joined(separator: ", ")), F16, BF16)")
                }
                guard count.multipliedReportingOverflow(by: dtype.itemSize).partialValue == bytes.count else {
                    throw bad("entry '\(name)' holds \(bytes.count) bytes, not \(count) \(dtypeName) values of shape \(shape)")
                }
                tensor = try bytes.withUnsafeBytes { try Tensor.fromBytes($0, dtype: dtype, shape: shape) }
            }
            located.append((name, start, tensor))
        }
        return (located.sorted { $0.start != $1.start ? $0.start < $1.start : $0.name < $1.name }.map { ($0.name, $0.tensor) }, metadata)
    }

    /// Little-endian IEEE half or bfloat16 values as float32.
    static func widenHalf(_ bytes: Data, brain: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: bytes.count / 2)
        bytes.withUnsafeBytes { raw in
            for i in out.indices {
                let bits = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
                out[i] = brain ? Float(bitPattern: UInt32(bits) << 16) : Float(halfBits: bits)
            }
        }
        return out
    }
}

extension Float {
    /// The value of IEEE 754 binary16 bits, written out so it needs no
    /// `Float16` (which some platforms lack).
    init(halfBits bits: UInt16) {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: self = sign * fraction * Float(sign: .plus, exponent: -24, significand: 1)
        case 0x1F: self = fraction == 0 ? sign * .infinity : .nan
        default: self = sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

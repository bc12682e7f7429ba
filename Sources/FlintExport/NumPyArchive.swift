import Foundation
import FlintTrain
import Flint

/// NumPy's `.npz`: a zip archive holding one `.npy` file per array, as
/// `numpy.savez` writes it (entries stored, not compressed), so that
/// `numpy.load("weights.npz")["0.weight"]` gives the array.
public enum NumPyArchive {
    /// The `.npy` (format 1.0) bytes of one tensor, identical to `numpy.save`:
    /// the magic string, the header dict padded with spaces (including
    /// numpy's spare room for growing the first axis) to a multiple of 64
    /// bytes and ended by a newline, then the data in C order.
    public static func npy(_ tensor: Tensor) -> Data {
        let descr: String
        switch tensor.dtype {
        case .bool: descr = "|b1"
        case .uint8: descr = "|u1"
        case .int32: descr = "<i4"
        case .int64: descr = "<i8"
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        }
        let shape = tensor.shape
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy leaves room for the first axis to grow to 21 digits in place.
        if let first = shape.first { header += String(repeating: " ", count: 21 - String(first).count) }
        let magicAndLength = 10
        let unpadded = header.utf8.count + 1
        let padding = (64 - (magicAndLength + unpadded) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        tensor.withContiguousBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The archive of `tensors`, one `NAME.npy` entry each, in the order given.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)]) throws -> Data {
        var zip = StoredZip()
        for (name, tensor) in tensors { try zip.add(name: name + ".npy", contents: npy(tensor)) }
        return try zip.finish()
    }
}

/// A zip archive of uncompressed ("stored") entries, the subset of the
/// format numpy's `savez` writes. Without zip64 it holds under 65,535 entries
/// of under 4 GiB each; bigger archives are refused rather than written wrong.
struct StoredZip {
    private var body = Data()
    private var central = Data()
    private var entries = 0

    /// 1980-01-01 00:00, the earliest DOS date, so that equal weights give equal files.
    private static let dosTime: UInt16 = 0, dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    mutating func add(name: String, contents: Data) throws {
        let nameBytes = Array(name.utf8)
        guard contents.count < Int(UInt32.max), body.count < Int(UInt32.max), entries < Int(UInt16.max), nameBytes.count < Int(UInt16.max) else {
            throw TrainError.badInput("npz: '\(name)' does not fit a zip archive without zip64 (over 4 GiB or 65,535 entries); export safetensors instead")
        }
        let crc = CRC32.checksum(contents)
        // Bit 11: the name is UTF-8.
        let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
        let offset = UInt32(body.count)
        body.appendLE(UInt32(0x0403_4b50))
        body.appendLE(UInt16(20))
        body.appendLE(flags)
        body.appendLE(UInt16(0))
        body.appendLE(Self.dosTime)
        body.appendLE(Self.dosDate)
        body.appendLE(crc)
        body.appendLE(UInt32(contents.count))
        body.appendLE(UInt32(contents.count))
        body.appendLE(UInt16(nameBytes.count))
        body.appendLE(UInt16(0))
        body.append(contentsOf: nameBytes)
        body.append(contents)

        central.appendLE(UInt32(0x0201_4b50))
        central.appendLE(UInt16(20))
        central.appendLE(UInt16(20))
        central.appendLE(flags)
        central.appendLE(UInt16(0))
        central.appendLE(Self.dosTime)
        central.appendLE(Self.dosDate)
        central.appendLE(crc)
        central.appendLE(UInt32(contents.count))
        central.appendLE(UInt32(contents.count))
        central.appendLE(UInt16(nameBytes.count))
        central.appendLE(UInt16(0))
        central.appendLE(UInt16(0))
        central.appendLE(UInt16(0))
        central.appendLE(UInt16(0))
        central.appendLE(UInt32(0o100644) << 16)
        central.appendLE(offset)
        central.append(contentsOf: nameBytes)
        entries += 1
    }

    /// The whole archive: entries, central directory, end record.
    func finish() throws -> Data {
        guard body.count < Int(UInt32.max) else {
            throw TrainError.badInput("npz: the archive would exceed 4 GiB, which needs zip64; export safetensors instead")
        }
        var out = body
        out.append(central)
        out.appendLE(UInt32(0x0605_4b50))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(entries))
        out.appendLE(UInt16(entries))
        out.appendLE(UInt32(central.count))
        out.appendLE(UInt32(body.count))
        out.appendLE(UInt16(0))
        return out
    }
}

/// The CRC-32 of zip (and gzip, PNG): reflected polynomial 0xEDB88320.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            table.withUnsafeBufferPointer { t in
                for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

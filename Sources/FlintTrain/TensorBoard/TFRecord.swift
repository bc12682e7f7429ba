import Foundation

/// TFRecord framing, the container of TensorBoard event files: each record is
/// `length (UInt64 LE) · masked CRC32C of length (UInt32 LE) · data ·
/// masked CRC32C of data (UInt32 LE)`.
enum TFRecord {
    static func frame(_ data: Data) -> Data {
        var out = Data(capacity: data.count + 16)
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        out.append(lengthBytes)
        appendLE(maskedCRC(lengthBytes), to: &out)
        out.append(data)
        appendLE(maskedCRC(data), to: &out)
        return out
    }

    private static func appendLE(_ value: UInt32, to out: inout Data) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    /// TensorFlow masks the checksum so that a CRC of data that itself holds
    /// CRCs stays well distributed: rotate right by 15, add a constant.
    static func maskedCRC(_ data: Data) -> UInt32 {
        let crc = CRC32C.checksum(data)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in data { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

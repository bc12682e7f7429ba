import CHDF5

/// Swift element types that the typed `readArray` and `write` helpers accept.
/// Reading into a type other than the dataset's converts values as HDF5 does
/// (uint8 images read as `Float` give 0...255).
public protocol HDF5Element {
    static var dtype: DType { get }
}

extension Bool: HDF5Element { public static var dtype: DType { .bool } }
extension UInt8: HDF5Element { public static var dtype: DType { .uint8 } }
extension Int32: HDF5Element { public static var dtype: DType { .int32 } }
extension Int64: HDF5Element { public static var dtype: DType { .int64 } }
extension Float: HDF5Element { public static var dtype: DType { .float32 } }
extension Double: HDF5Element { public static var dtype: DType { .float64 } }

enum HDF5Types {
    /// h5py's bool: an enum over int8 with FALSE = 0 and TRUE = 1. Swift's Bool
    /// is one byte holding 0 or 1, so the same type describes memory and file.
    /// Created once and never closed; HDF5 type ids live as long as the library.
    static let bool: hid_t = {
        let type = H5.Tenum_create(H5.T_NATIVE_INT8)
        var no: Int8 = 0
        var yes: Int8 = 1
        _ = H5.Tenum_insert(type, "FALSE", &no)
        _ = H5.Tenum_insert(type, "TRUE", &yes)
        return type
    }()

    /// The in-memory type that holds `dtype`'s elements.
    static func native(_ dtype: DType) -> hid_t {
        switch dtype {
        case .bool: return bool
        case .uint8: return H5.T_NATIVE_UINT8
        case .int32: return H5.T_NATIVE_INT32
        case .int64: return H5.T_NATIVE_INT64
        case .float32: return H5.T_NATIVE_FLOAT
        case .float64: return H5.T_NATIVE_DOUBLE
        }
    }

    /// The type written to files: little-endian standard types, as numpy writes them.
    static func stored(_ dtype: DType) -> hid_t {
        switch dtype {
        case .bool: return bool
        case .uint8: return H5.T_STD_U8LE
        case .int32: return H5.T_STD_I32LE
        case .int64: return H5.T_STD_I64LE
        case .float32: return H5.T_IEEE_F32LE
        case .float64: return H5.T_IEEE_F64LE
        }
    }

    /// A new variable-length UTF-8 string type, for reading files that hold such strings.
    /// The caller closes it.
    static func variableString() -> hid_t {
        let type = H5.Tcopy(H5.T_C_S1)
        _ = H5.Tset_size(type, flint_H5T_VARIABLE())
        _ = H5.Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    /// `strings` as one fixed-length UTF-8 string type, one byte wider than the longest
    /// (so every element ends in NUL), and the elements' bytes laid out in that width; the
    /// caller closes the type. A string holding NUL is cut there, as HDF5 stores C strings.
    ///
    /// Flint writes fixed-length strings, never variable-length ones: those live in the file's
    /// global heap, where one flipped bit sends libhdf5 into an endless loop while reading,
    /// whereas fixed-length bytes sit inside their dataset or attribute. h5py reads them as `bytes`.
    static func fixedStrings(_ strings: [String]) -> (type: hid_t, bytes: [UInt8]) {
        let encoded = strings.map { string in Array(string.utf8.prefix { $0 != 0 }) }
        let width = (encoded.map(\.count).max() ?? 0) + 1
        var bytes = [UInt8](repeating: 0, count: width * encoded.count)
        for (index, element) in encoded.enumerated() {
            bytes.replaceSubrange((index * width)..<(index * width + element.count), with: element)
        }
        let type = H5.Tcopy(H5.T_C_S1)
        _ = H5.Tset_size(type, width)
        _ = H5.Tset_cset(type, H5T_CSET_UTF8)
        return (type, bytes)
    }

    /// Names a stored type the way numpy would and picks the Flint dtype it
    /// reads as. Narrow integers and float16 widen losslessly; uint64 reads as
    /// int64 (HDF5 clamps values above Int64.max).
    static func describe(_ type: hid_t) -> (dtype: DType?, name: String) {
        let size = H5.Tget_size(type)
        switch H5.Tget_class(type) {
        case H5T_INTEGER:
            let signed = H5.Tget_sign(type) == H5T_SGN_2
            let name = (signed ? "int" : "uint") + String(size * 8)
            switch (signed, size) {
            case (false, 1): return (.uint8, name)
            case (true, 1), (true, 2), (false, 2), (true, 4): return (.int32, name)
            case (false, 4), (true, 8), (false, 8): return (.int64, name)
            default: return (nil, name)
            }
        case H5T_FLOAT:
            let name = "float" + String(size * 8)
            switch size {
            case 2, 4: return (.float32, name)
            case 8: return (.float64, name)
            default: return (nil, name)
            }
        case H5T_ENUM:
            return isBool(type) ? (.bool, "bool") : (nil, "enum")
        case H5T_STRING: return (nil, "string")
        case H5T_COMPOUND: return (nil, "compound")
        case H5T_ARRAY: return (nil, "array")
        case H5T_VLEN: return (nil, "vlen")
        case H5T_OPAQUE: return (nil, "opaque")
        case H5T_BITFIELD: return (nil, "bitfield")
        case H5T_REFERENCE: return (nil, "reference")
        default: return (nil, "unknown")
        }
    }

    /// True for h5py's bool enum: one-byte base, members FALSE = 0 and TRUE = 1.
    static func isBool(_ type: hid_t) -> Bool {
        guard H5.Tget_nmembers(type) == 2 else { return false }
        let base = H5.Tget_super(type)
        defer { _ = H5.Tclose(base) }
        guard H5.Tget_class(base) == H5T_INTEGER, H5.Tget_size(base) == 1 else { return false }
        var members: [String: Int8] = [:]
        for index in 0..<UInt32(2) {
            guard let cName = H5.Tget_member_name(type, index) else { return false }
            let name = String(cString: cName)
            _ = H5.free_memory(cName)
            var value: Int8 = -1
            guard H5.Tget_member_value(type, index, &value) >= 0 else { return false }
            members[name] = value
        }
        return members == ["FALSE": 0, "TRUE": 1]
    }

    /// Reads `count` strings of any HDF5 string type through `read(memType, buffer)`.
    static func readStrings(fileType: hid_t, count: Int,
                            read: (hid_t, UnsafeMutableRawPointer?) -> herr_t) -> [String]? {
        if count == 0 { return [] }
        if H5.Tis_variable_str(fileType) > 0 {
            let memType = variableString()
            defer { _ = H5.Tclose(memType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memType, $0.baseAddress) }
            defer { for pointer in pointers where pointer != nil { _ = H5.free_memory(pointer) } }
            guard status >= 0 else { return nil }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        // Fixed-length strings: read the raw bytes and cut each at its padding.
        let size = H5.Tget_size(fileType)
        guard size > 0 else { return nil }
        let memType = H5.Tcopy(fileType)
        defer { _ = H5.Tclose(memType) }
        var bytes = [UInt8](repeating: 0, count: size * count)
        let status = bytes.withUnsafeMutableBytes { read(memType, $0.baseAddress) }
        guard status >= 0 else { return nil }
        let spacePadded = H5.Tget_strpad(fileType) == H5T_STR_SPACEPAD
        return (0..<count).map { index in
            var element = bytes[(index * size)..<((index + 1) * size)]
            if let end = element.firstIndex(of: 0) { element = element[..<end] }
            if spacePadded {
                while element.last == UInt8(ascii: " ") { element = element.dropLast() }
            }
            return String(decoding: element, as: UTF8.self)
        }
    }
}

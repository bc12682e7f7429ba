import CHDF5
import Foundation
import Flint

/// An attribute's value. Strings are stored as fixed-length UTF-8 (h5py reads
/// them as `bytes`), integers as int64, reals as float64. Reading accepts
/// variable-length strings too, and any integer or float width.
public enum HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int64(Int64)
    case double(Double)
    case stringArray([String])
    case int64Array([Int64])
    case doubleArray([Double])

    /// What kind of value this is, for messages: "a string", "an int64 array".
    public var kindDescription: String {
        switch self {
        case .string: return "a string"
        case .int64: return "an int64"
        case .double: return "a float64"
        case .stringArray: return "a string array"
        case .int64Array: return "an int64 array"
        case .doubleArray: return "a float64 array"
        }
    }

    /// Strings quoted, arrays in brackets: `"train-images.idx3-ubyte.gz"`, `[60000, 28, 28]`.
    public var description: String {
        switch self {
        case .string(let value): return JSON.quote(value)
        case .int64(let value): return String(value)
        case .double(let value): return String(value)
        case .stringArray(let values): return "[" + values.map(JSON.quote).joined(separator: ", ") + "]"
        case .int64Array(let values): return "\(values)"
        case .doubleArray(let values): return "\(values)"
        }
    }
}

extension HDF5Object {
    /// Sets attribute `name`, replacing any attribute of that name whatever its type.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        try perform {
            if H5.Aexists(id, name) > 0, H5.Adelete(id, name) < 0 {
                throw failure("cannot replace attribute '\(name)' of '\(displayPath(path))'")
            }
            switch value {
            case .string(let string):
                try writeStrings(name, [string], scalar: true)
            case .stringArray(let strings):
                try writeStrings(name, strings, scalar: false)
            case .int64(let number):
                try writeNumbers(name, [number], scalar: true, type: H5.T_STD_I64LE, memType: H5.T_NATIVE_INT64)
            case .int64Array(let numbers):
                try writeNumbers(name, numbers, scalar: false, type: H5.T_STD_I64LE, memType: H5.T_NATIVE_INT64)
            case .double(let number):
                try writeNumbers(name, [number], scalar: true, type: H5.T_IEEE_F64LE, memType: H5.T_NATIVE_DOUBLE)
            case .doubleArray(let numbers):
                try writeNumbers(name, numbers, scalar: false, type: H5.T_IEEE_F64LE, memType: H5.T_NATIVE_DOUBLE)
            }
        }
    }

    public func setAttribute(_ name: String, _ value: String) throws { try setAttribute(name, .string(value)) }
    public func setAttribute(_ name: String, _ value: Int64) throws { try setAttribute(name, .int64(value)) }
    public func setAttribute(_ name: String, _ value: Int) throws { try setAttribute(name, .int64(Int64(value))) }
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, .double(value)) }
    public func setAttribute(_ name: String, _ value: [String]) throws { try setAttribute(name, .stringArray(value)) }
    public func setAttribute(_ name: String, _ value: [Int64]) throws { try setAttribute(name, .int64Array(value)) }
    public func setAttribute(_ name: String, _ value: [Int]) throws { try setAttribute(name, .int64Array(value.map { Int64($0) })) }
    public func setAttribute(_ name: String, _ value: [Double]) throws { try setAttribute(name, .doubleArray(value)) }

    /// The names of this object's attributes, sorted.
    public func attributeNames() throws -> [String] {
        try perform { try attributeNamesLocked() }
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        try perform { H5.Aexists(id, name) > 0 }
    }

    public func removeAttribute(_ name: String) throws {
        try perform {
            guard H5.Aexists(id, name) > 0 else { throw missingAttribute(name) }
            guard H5.Adelete(id, name) >= 0 else {
                throw failure("cannot remove attribute '\(name)' of '\(displayPath(path))'")
            }
        }
    }

    /// The value of attribute `name`. Scalars give `.string`, `.int64` or
    /// `.double`; one-dimensional (and larger) attributes give the array cases.
    public func attribute(_ name: String) throws -> HDF5AttributeValue {
        try perform {
            switch try attributeLocked(name) {
            case .value(let value): return value
            case .unsupported(let type):
                throw error(.unsupportedType, "attribute '\(name)' of '\(displayPath(path))' holds \(type), which Flint does not read")
            }
        }
    }

    public func stringAttribute(_ name: String) throws -> String {
        let value = try attribute(name)
        guard case .string(let string) = value else { throw mismatch(name, value, expected: "a string") }
        return string
    }

    public func int64Attribute(_ name: String) throws -> Int64 {
        let value = try attribute(name)
        guard case .int64(let number) = value else { throw mismatch(name, value, expected: "an int64") }
        return number
    }

    /// A real attribute; integer attributes convert.
    public func doubleAttribute(_ name: String) throws -> Double {
        let value = try attribute(name)
        switch value {
        case .double(let number): return number
        case .int64(let number): return Double(number)
        default: throw mismatch(name, value, expected: "a float64")
        }
    }

    public func stringArrayAttribute(_ name: String) throws -> [String] {
        let value = try attribute(name)
        switch value {
        case .stringArray(let strings): return strings
        case .string(let string): return [string]
        default: throw mismatch(name, value, expected: "a string array")
        }
    }

    public func int64ArrayAttribute(_ name: String) throws -> [Int64] {
        let value = try attribute(name)
        switch value {
        case .int64Array(let numbers): return numbers
        case .int64(let number): return [number]
        default: throw mismatch(name, value, expected: "an int64 array")
        }
    }

    /// A real array attribute; integer attributes convert.
    public func doubleArrayAttribute(_ name: String) throws -> [Double] {
        let value = try attribute(name)
        switch value {
        case .doubleArray(let numbers): return numbers
        case .double(let number): return [number]
        case .int64Array(let numbers): return numbers.map(Double.init)
        case .int64(let number): return [Double(number)]
        default: throw mismatch(name, value, expected: "a float64 array")
        }
    }

    // MARK: - Internals (called with the library lock held)

    func attributeNamesLocked() throws -> [String] {
        final class Names { var list: [String] = [] }
        let names = Names()
        var position: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5.Aiterate2(id, H5_INDEX_NAME, H5_ITER_NATIVE, &position, { _, name, _, context in
                guard let name, let context else { return -1 }
                Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        guard status >= 0 else { throw failure("cannot list the attributes of '\(displayPath(path))'") }
        // Stored order, sorted here: libhdf5's name order builds a table that a corrupt heap breaks (see `childrenLocked`).
        return names.list.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// An attribute as stored: a value Flint reads, or the name of a type it
    /// does not (which the inspector shows instead of a value).
    enum StoredAttribute {
        case value(HDF5AttributeValue)
        case unsupported(String)
    }

    func attributeLocked(_ name: String) throws -> StoredAttribute {
        guard H5.Aexists(id, name) > 0 else { throw missingAttribute(name) }
        let attribute = H5.Aopen(id, name, hid_t(H5P_DEFAULT))
        guard attribute >= 0 else { throw failure("cannot open attribute '\(name)' of '\(displayPath(path))'") }
        defer { _ = H5.Aclose(attribute) }
        let type = H5.Aget_type(attribute)
        let space = H5.Aget_space(attribute)
        defer {
            if type >= 0 { _ = H5.Tclose(type) }
            if space >= 0 { _ = H5.Sclose(space) }
        }
        let count = Int(H5.Sget_simple_extent_npoints(space))
        let scalar = H5.Sget_simple_extent_type(space) == H5S_SCALAR
        guard type >= 0, space >= 0, count >= 0 else {
            throw failure("cannot read attribute '\(name)' of '\(displayPath(path))'")
        }
        guard H5.Sget_simple_extent_type(space) != H5S_NULL else { return .unsupported("an empty value") }
        switch H5.Tget_class(type) {
        case H5T_STRING:
            guard let strings = HDF5Types.readStrings(fileType: type, count: count, read: { memType, buffer in
                H5.Aread(attribute, memType, buffer)
            }) else { throw failure("cannot read attribute '\(name)' of '\(displayPath(path))'") }
            return .value(scalar && strings.count == 1 ? .string(strings[0]) : .stringArray(strings))
        case H5T_INTEGER:
            let numbers: [Int64] = try readNumbers(attribute, name: name, count: count, memType: H5.T_NATIVE_INT64)
            return .value(scalar && numbers.count == 1 ? .int64(numbers[0]) : .int64Array(numbers))
        case H5T_FLOAT:
            let numbers: [Double] = try readNumbers(attribute, name: name, count: count, memType: H5.T_NATIVE_DOUBLE)
            return .value(scalar && numbers.count == 1 ? .double(numbers[0]) : .doubleArray(numbers))
        default:
            return .unsupported(HDF5Types.describe(type).name)
        }
    }

    private func readNumbers<T>(_ attribute: hid_t, name: String, count: Int, memType: hid_t) throws -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, H5.Aread(attribute, memType, buffer.baseAddress) < 0 {
                throw failure("cannot read attribute '\(name)' of '\(displayPath(path))'")
            }
            initialized = count
        }
    }

    private func writeStrings(_ name: String, _ strings: [String], scalar: Bool) throws {
        let (type, bytes) = HDF5Types.fixedStrings(strings)
        defer { _ = H5.Tclose(type) }
        try create(name, type: type, memType: type, count: strings.count, scalar: scalar) { attribute in
            bytes.withUnsafeBytes { H5.Awrite(attribute, type, $0.baseAddress) }
        }
    }

    private func writeNumbers<T>(_ name: String, _ numbers: [T], scalar: Bool, type: hid_t, memType: hid_t) throws {
        try create(name, type: type, memType: memType, count: numbers.count, scalar: scalar) { attribute in
            numbers.withUnsafeBytes { H5.Awrite(attribute, memType, $0.baseAddress) }
        }
    }

    private func create(_ name: String, type: hid_t, memType: hid_t, count: Int, scalar: Bool,
                        write: (hid_t) -> herr_t) throws {
        var dims = [hsize_t(count)]
        let space = scalar ? H5.Screate(H5S_SCALAR) : H5.Screate_simple(1, &dims, nil)
        guard space >= 0 else { throw failure("cannot set attribute '\(name)' of '\(displayPath(path))'") }
        defer { _ = H5.Sclose(space) }
        let attribute = H5.Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard attribute >= 0 else { throw failure("cannot set attribute '\(name)' of '\(displayPath(path))'") }
        defer { _ = H5.Aclose(attribute) }
        guard count == 0 || write(attribute) >= 0 else {
            throw failure("cannot write attribute '\(name)' of '\(displayPath(path))'")
        }
    }

    private func missingAttribute(_ name: String) -> HDF5Error {
        let names = (try? attributeNamesLocked()) ?? []
        let available = names.isEmpty ? "it has no attributes" : "available: " + names.joined(separator: ", ")
        return error(.notFound, "no attribute '\(name)' on '\(displayPath(path))' (\(available))")
    }

    private func mismatch(_ name: String, _ value: HDF5AttributeValue, expected: String) -> HDF5Error {
        error(.unsupportedType, "attribute '\(name)' of '\(displayPath(path))' is \(value.kindDescription), not \(expected)")
    }
}

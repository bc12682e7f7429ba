import CHDF5
import Foundation

/// Serialises every call into libhdf5. Debian's build is thread-safe, but the
/// default builds on other systems are not, and data loaders read from
/// background threads.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// libhdf5, opened on first use rather than linked, so that commands which
    /// never touch HDF5 start without loading it (see CHDF5/shim.h).
    private static let loaded: Result<UnsafePointer<flint_hdf5>, LoadError> = {
        let table = UnsafeMutablePointer<flint_hdf5>.allocate(capacity: 1)
        var message = [CChar](repeating: 0, count: 256)
        guard flint_hdf5_load(table, &message) != 0 else {
            table.deallocate()
            return .failure(LoadError(message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return .success(UnsafePointer(table))
    }()

    struct LoadError: Error {
        let message: String
    }

    /// Loads libhdf5 if it is not loaded yet. Opening and creating files call
    /// this first; every other call reaches libhdf5 through an open file.
    static func load(for file: String) throws {
        if case .failure(let error) = loaded { throw HDF5Error(.unavailable, file: file, error.message) }
    }

    /// The loaded library's functions; see `H5`.
    static var functions: UnsafePointer<flint_hdf5> {
        guard case .success(let table) = loaded else { preconditionFailure("libhdf5 is called before HDF5Library.load succeeded") }
        return table
    }

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        // In thread-safe builds the error settings are per thread, so every call repeats them:
        // Flint reports errors itself rather than letting libhdf5 print its stack.
        _ = H5.Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        _ = H5.Eclear2(hid_t(H5E_DEFAULT))
        return try body()
    }

    /// The most specific message libhdf5 left on the error stack, if any.
    static func innermostError() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        flint_H5_innermost_error(functions, &buffer)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return message.isEmpty ? nil : message
    }

    /// `message`, followed by libhdf5's own explanation when it left one.
    static func withDetail(_ message: String) -> String {
        guard let detail = innermostError() else { return message }
        return "\(message) (HDF5: \(detail))"
    }
}

/// libhdf5's functions under their names without "H5": `H5.Fopen(path, flags, access)`
/// calls `H5Fopen`. Valid once `HDF5Library.load` has succeeded.
var H5: flint_hdf5 { HDF5Library.functions.pointee }

/// The ids of HDF5's predefined types and property-list classes, as the C macros
/// of the same names (`H5T_NATIVE_FLOAT`) give them.
extension flint_hdf5 {
    var T_NATIVE_INT8: hid_t { T_NATIVE_INT8_g.pointee }
    var T_NATIVE_UINT8: hid_t { T_NATIVE_UINT8_g.pointee }
    var T_NATIVE_INT32: hid_t { T_NATIVE_INT32_g.pointee }
    var T_NATIVE_INT64: hid_t { T_NATIVE_INT64_g.pointee }
    var T_NATIVE_FLOAT: hid_t { T_NATIVE_FLOAT_g.pointee }
    var T_NATIVE_DOUBLE: hid_t { T_NATIVE_DOUBLE_g.pointee }
    var T_STD_U8LE: hid_t { T_STD_U8LE_g.pointee }
    var T_STD_I32LE: hid_t { T_STD_I32LE_g.pointee }
    var T_STD_I64LE: hid_t { T_STD_I64LE_g.pointee }
    var T_IEEE_F32LE: hid_t { T_IEEE_F32LE_g.pointee }
    var T_IEEE_F64LE: hid_t { T_IEEE_F64LE_g.pointee }
    var T_C_S1: hid_t { T_C_S1_g.pointee }
    var P_FILE_ACCESS: hid_t { P_CLS_FILE_ACCESS_ID_g.pointee }
    var P_DATASET_CREATE: hid_t { P_CLS_DATASET_CREATE_ID_g.pointee }
    var P_LINK_CREATE: hid_t { P_CLS_LINK_CREATE_ID_g.pointee }
}

/// Turns an HDF5 path into its components: "/a//b/" and "a/b" both give ["a", "b"].
func pathComponents(_ path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
}

/// Joins a group's path and a path relative to it; an absolute `path` wins.
func joinPath(_ base: String, _ path: String) -> String {
    let components = path.hasPrefix("/") ? pathComponents(path) : pathComponents(base) + pathComponents(path)
    return components.joined(separator: "/")
}

/// How Flint writes an object's path in messages: no leading slash, "/" for the root.
func displayPath(_ path: String) -> String { path.isEmpty ? "/" : path }

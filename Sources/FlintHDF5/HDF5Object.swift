import CHDF5
import Foundation

/// Owns the file identifier. Groups and datasets hold it strongly, so the file
/// stays open while any of them is alive; `HDF5File.close()` closes it early.
final class HDF5FileHandle: @unchecked Sendable {
    let id: hid_t
    let path: String
    /// Guarded by the HDF5Library lock.
    private(set) var isOpen = true
    /// A plain descriptor for reading contiguous rows without libhdf5; opened
    /// on first use. Guarded by the HDF5Library lock.
    private var descriptor: Int32?

    init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    /// Closes the file and, because it was opened with H5F_CLOSE_STRONG,
    /// every object still open in it.
    func close() -> herr_t {
        guard isOpen else { return 0 }
        isOpen = false
        if let descriptor { _ = Foundation.close(descriptor) }
        descriptor = nil
        return H5.Fclose(id)
    }

    /// The descriptor for `pread`, or nil when the file cannot be opened that way.
    func rawDescriptor() -> Int32? {
        if let descriptor { return descriptor }
        let opened = open(path, O_RDONLY)
        guard opened >= 0 else { return nil }
        descriptor = opened
        return opened
    }

    deinit { HDF5Library.locked { _ = close() } }
}

/// What a link in a group points to.
public enum HDF5ObjectKind: String, Sendable {
    case group, dataset
    /// Named datatypes, dangling soft links and external links.
    case other
}

/// A group or dataset; holds its attributes.
public class HDF5Object: @unchecked Sendable {
    let handle: HDF5FileHandle
    let id: hid_t
    /// The path inside the file, without a leading slash; empty for the root group.
    public let path: String

    init(handle: HDF5FileHandle, id: hid_t, path: String) {
        self.handle = handle
        self.id = id
        self.path = path
    }

    deinit {
        HDF5Library.locked {
            if handle.isOpen { _ = H5.Oclose(id) }
        }
    }

    /// The path of the file this object lives in, as it was given when opening it.
    public var filePath: String { handle.path }

    /// Runs `body` under the library lock, failing if the file was closed.
    func perform<T>(_ body: () throws -> T) throws -> T {
        try HDF5Library.locked {
            guard handle.isOpen else {
                throw HDF5Error(.closed, file: handle.path, object: path, "the file is closed")
            }
            return try body()
        }
    }

    func error(_ kind: HDF5Error.Kind, object: String? = nil, _ message: String) -> HDF5Error {
        HDF5Error(kind, file: handle.path, object: object ?? path, message)
    }

    /// An error for a failed libhdf5 call, with libhdf5's explanation appended.
    func failure(_ message: String, object: String? = nil) -> HDF5Error {
        error(.io, object: object, HDF5Library.withDetail(message))
    }
}

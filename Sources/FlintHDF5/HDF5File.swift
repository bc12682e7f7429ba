import CHDF5
import Foundation

/// An HDF5 file, which is also its root group (as in h5py):
/// `try HDF5File.open("mnist.h5").dataset("train/images")`.
/// The file closes when it and every group and dataset taken from it are gone,
/// or at once with `close()`.
public final class HDF5File: HDF5Group, @unchecked Sendable {
    public enum Mode: Sendable {
        case readOnly, readWrite
    }

    public let mode: Mode

    init(handle: HDF5FileHandle, root: hid_t, mode: Mode) {
        self.mode = mode
        super.init(handle: handle, id: root, path: "")
    }

    /// Opens an existing file. Fails with a message naming the file when it is
    /// missing, unreadable, not HDF5, or truncated.
    public static func open(_ path: String, mode: Mode = .readOnly) throws -> HDF5File {
        // A FIFO or device would block or never end; a missing file or a folder gets libhdf5's diagnosis below.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
           let problem = FileSafety.problemReading(path) {
            throw HDF5Error(.fileAccess, file: path, problem)
        }
        try HDF5Library.load(for: path)
        return try HDF5Library.locked {
            let access = try strongCloseAccessList(path)
            defer { _ = H5.Pclose(access) }
            let flags = mode == .readOnly ? flint_H5F_ACC_RDONLY() : flint_H5F_ACC_RDWR()
            let file = H5.Fopen(path, flags, access)
            guard file >= 0 else { throw diagnoseOpenFailure(path, mode: mode) }
            return try wrap(file, path: path, mode: mode)
        }
    }

    /// Creates a file for reading and writing, replacing any file at `path`.
    public static func create(_ path: String) throws -> HDF5File {
        try HDF5Library.load(for: path)
        return try HDF5Library.locked {
            let access = try strongCloseAccessList(path)
            defer { _ = H5.Pclose(access) }
            // The 1.8 file format and later checksum every piece of metadata (superblock, object
            // headers, B-trees, heaps): a flipped bit there is an error on open, not a wild read.
            guard H5.Pset_libver_bounds(access, H5F_LIBVER_V18, H5F_LIBVER_V110) >= 0 else {
                throw HDF5Error(.io, file: path, HDF5Library.withDetail("cannot set up file access"))
            }
            let file = H5.Fcreate(path, flint_H5F_ACC_TRUNC(), hid_t(H5P_DEFAULT), access)
            guard file >= 0 else {
                let directory = (path as NSString).deletingLastPathComponent
                let reason = FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory)
                    ? HDF5Library.withDetail("cannot create the file")
                    : "cannot create the file: directory '\(directory)' does not exist"
                throw HDF5Error(.fileAccess, file: path, reason)
            }
            return try wrap(file, path: path, mode: .readWrite)
        }
    }

    /// Writes everything buffered to disk.
    public func flush() throws {
        try perform {
            guard H5.Fflush(handle.id, H5F_SCOPE_GLOBAL) >= 0 else { throw failure("cannot flush the file") }
        }
    }

    /// Closes the file now; groups and datasets taken from it stop working.
    /// Writers call this before renaming a finished file into place.
    public func close() throws {
        try HDF5Library.locked {
            guard handle.isOpen else { return }
            guard handle.close() >= 0 else { throw failure("cannot close the file") }
        }
    }

    // MARK: - Internals

    /// H5F_CLOSE_STRONG makes `close()` final even while datasets are alive.
    private static func strongCloseAccessList(_ path: String) throws -> hid_t {
        let access = H5.Pcreate(H5.P_FILE_ACCESS)
        guard access >= 0, H5.Pset_fclose_degree(access, H5F_CLOSE_STRONG) >= 0 else {
            throw HDF5Error(.io, file: path, HDF5Library.withDetail("cannot set up file access"))
        }
        return access
    }

    private static func wrap(_ file: hid_t, path: String, mode: Mode) throws -> HDF5File {
        let handle = HDF5FileHandle(id: file, path: path)
        let root = H5.Gopen2(file, "/", hid_t(H5P_DEFAULT))
        guard root >= 0 else {
            throw HDF5Error(.corrupt, file: path, HDF5Library.withDetail("is truncated or corrupt: its root group cannot be read"))
        }
        return HDF5File(handle: handle, root: root, mode: mode)
    }

    /// Works out why H5Fopen failed, so the message says what to fix.
    private static func diagnoseOpenFailure(_ path: String, mode: Mode) -> HDF5Error {
        let detail = HDF5Library.innermostError()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return HDF5Error(.fileAccess, file: path, "no such file")
        }
        if isDirectory.boolValue {
            return HDF5Error(.fileAccess, file: path, "is a directory, not an HDF5 file")
        }
        guard let reader = FileHandle(forReadingAtPath: path) else {
            return HDF5Error(.fileAccess, file: path, "cannot read the file (permission denied?)")
        }
        defer { try? reader.close() }
        guard hasSignature(reader) else {
            return HDF5Error(.notHDF5, file: path, "not an HDF5 file")
        }
        if mode == .readWrite && !FileManager.default.isWritableFile(atPath: path) {
            return HDF5Error(.fileAccess, file: path, "cannot open the file for writing (permission denied)")
        }
        if let detail, detail.contains("already open") {
            return HDF5Error(.fileAccess, file: path,
                             "is already open in this process in a way that conflicts (HDF5: \(detail)); close it first")
        }
        let suffix = detail.map { " (HDF5: \($0))" } ?? ""
        return HDF5Error(.corrupt, file: path, "is truncated or corrupt\(suffix)")
    }

    /// HDF5 files start with this signature at byte 0, 512, 1024, 2048, …
    /// (a user block may precede the data).
    private static func hasSignature(_ reader: FileHandle) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        var offset: UInt64 = 0
        while true {
            guard (try? reader.seek(toOffset: offset)) != nil,
                  let bytes = try? reader.read(upToCount: signature.count),
                  bytes.count == signature.count else { return false }
            if Array(bytes) == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
    }
}

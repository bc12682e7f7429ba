import CHDF5
import Foundation

/// One entry of a group.
public struct HDF5Child: Sendable, Equatable {
    public let name: String
    public let kind: HDF5ObjectKind
}

/// A group: a folder of groups and datasets. Paths given to its methods are
/// relative to it ("train/images"), or absolute ("/train/images").
public class HDF5Group: HDF5Object, @unchecked Sendable {
    /// The group at `path`, created together with any missing parents.
    /// Fails if anything already exists there.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        let target = joinPath(self.path, path)
        return try perform {
            guard kindLocked(path) == nil else {
                throw error(.alreadyExists, object: target, "cannot create group '\(displayPath(target))': it already exists")
            }
            let linkList = try linkCreationList(target)
            defer { _ = H5.Pclose(linkList) }
            let group = H5.Gcreate2(id, path, linkList, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            guard group >= 0 else { throw failure("cannot create group '\(displayPath(target))'", object: target) }
            return HDF5Group(handle: handle, id: group, path: target)
        }
    }

    /// The existing group at `path`.
    public func group(_ path: String) throws -> HDF5Group {
        let target = joinPath(self.path, path)
        return try perform {
            try expect(.group, at: path, target: target)
            let group = H5.Gopen2(id, path.isEmpty ? "." : path, hid_t(H5P_DEFAULT))
            guard group >= 0 else { throw failure("cannot open group '\(displayPath(target))'", object: target) }
            return HDF5Group(handle: handle, id: group, path: target)
        }
    }

    /// The existing dataset at `path`.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        let target = joinPath(self.path, path)
        return try perform {
            try expect(.dataset, at: path, target: target)
            let dataset = H5.Dopen2(id, path, hid_t(H5P_DEFAULT))
            guard dataset >= 0 else { throw failure("cannot open dataset '\(target)'", object: target) }
            return try HDF5Dataset(handle: handle, opened: dataset, path: target)
        }
    }

    /// Whether a group or dataset exists at `path`; false once the file is closed.
    public func contains(_ path: String) -> Bool {
        (try? perform { kindLocked(path) }) != nil
    }

    /// What `path` holds, or nil when nothing is there.
    public func kind(of path: String) throws -> HDF5ObjectKind? {
        try perform { kindLocked(path) }
    }

    /// The links in this group, sorted by name.
    public func children() throws -> [HDF5Child] {
        try perform { try childrenLocked() }
    }

    /// Paths (relative to the file's root) of every dataset below this group, sorted.
    public func datasetPaths() throws -> [String] {
        try perform { try datasetPathsLocked(limit: Int.max) }
    }

    /// Removes the link at `path`. The space it used is not reclaimed, as in
    /// every HDF5 library; `h5repack` compacts a file.
    public func remove(_ path: String) throws {
        let target = joinPath(self.path, path)
        try perform {
            guard kindLocked(path) != nil else {
                throw error(.notFound, object: target, "cannot remove '\(displayPath(target))': nothing is there")
            }
            guard H5.Ldelete(id, path, hid_t(H5P_DEFAULT)) >= 0 else {
                throw failure("cannot remove '\(displayPath(target))'", object: target)
            }
        }
    }

    /// A new dataset of `dtype` and `shape` (`[]` for a scalar), created with any
    /// missing parent groups.
    /// - Parameters:
    ///   - chunks: chunk shape, one entry per dimension; nil stores the data contiguously,
    ///     which is fastest for reading random rows.
    ///   - deflate: gzip level 0...9. Needs chunks; when `chunks` is nil, rows are chunked
    ///     in blocks of about 1 MB.
    @discardableResult
    public func createDataset(_ path: String, dtype: DType, shape: [Int],
                              chunks: [Int]? = nil, deflate: Int? = nil) throws -> HDF5Dataset {
        let target = joinPath(self.path, path)
        if let bad = shape.first(where: { $0 < 0 }) {
            throw error(.invalidArgument, object: target, "cannot create dataset '\(target)': shape \(shape) has negative size \(bad)")
        }
        if let level = deflate, !(0...9).contains(level) {
            throw error(.invalidArgument, object: target, "cannot create dataset '\(target)': deflate level \(level) is not in 0...9")
        }
        var chunkShape = chunks
        if deflate != nil, chunkShape == nil { chunkShape = Self.rowChunks(shape: shape, itemSize: dtype.itemSize) }
        if let chunkShape {
            guard chunkShape.count == shape.count, !shape.isEmpty,
                  zip(chunkShape, shape).allSatisfy({ $0 > 0 && ($0 <= $1 || $1 == 0) }) else {
                throw error(.invalidArgument, object: target,
                            "cannot create dataset '\(target)': chunks \(chunkShape) do not fit shape \(shape) (one positive size per dimension, at most the dimension)")
            }
        }
        return try perform {
            guard kindLocked(path) == nil else {
                throw error(.alreadyExists, object: target, "cannot create dataset '\(target)': it already exists")
            }
            let space = try makeSpace(shape, object: target)
            defer { _ = H5.Sclose(space) }
            let creation = H5.Pcreate(H5.P_DATASET_CREATE)
            defer { _ = H5.Pclose(creation) }
            if let chunkShape {
                // A zero-length dimension still needs a positive chunk size.
                let dims = chunkShape.map { hsize_t(max($0, 1)) }
                guard H5.Pset_chunk(creation, Int32(dims.count), dims) >= 0 else {
                    throw failure("cannot chunk dataset '\(target)' as \(chunkShape)", object: target)
                }
            }
            if let level = deflate {
                guard H5.Zfilter_avail(H5Z_FILTER_DEFLATE) > 0,
                      H5.Pset_deflate(creation, UInt32(level)) >= 0 else {
                    throw failure("cannot compress dataset '\(target)': this libhdf5 has no deflate filter", object: target)
                }
            }
            let linkList = try linkCreationList(target)
            defer { _ = H5.Pclose(linkList) }
            let dataset = H5.Dcreate2(id, path, HDF5Types.stored(dtype), space, linkList, creation, hid_t(H5P_DEFAULT))
            guard dataset >= 0 else { throw failure("cannot create dataset '\(target)'", object: target) }
            return try HDF5Dataset(handle: handle, opened: dataset, path: target)
        }
    }

    /// A new dataset holding `values` in `shape`.
    @discardableResult
    public func createDataset<T: HDF5Element>(_ path: String, values: [T], shape: [Int],
                                              chunks: [Int]? = nil, deflate: Int? = nil) throws -> HDF5Dataset {
        let target = joinPath(self.path, path)
        let count = shape.reduce(1, *)
        guard count == values.count else {
            throw error(.invalidArgument, object: target,
                        "cannot create dataset '\(target)': \(values.count) values do not fill shape \(shape) (\(count) elements)")
        }
        let dataset = try createDataset(path, dtype: T.dtype, shape: shape, chunks: chunks, deflate: deflate)
        try dataset.write(values)
        return dataset
    }

    /// A new scalar dataset holding one UTF-8 string (for YAML configs and other
    /// text), stored fixed-length (see `HDF5Types.fixedStrings`); h5py reads `bytes`.
    @discardableResult
    public func createDataset(_ path: String, string: String) throws -> HDF5Dataset {
        try createStringDataset(path, [string], shape: [])
    }

    /// A new 1-D dataset of fixed-length UTF-8 strings (h5py reads `bytes`
    /// objects, `.asstr()` gives `str`). A string holding NUL is cut there, as
    /// HDF5 stores C strings.
    @discardableResult
    public func createDataset(_ path: String, strings: [String]) throws -> HDF5Dataset {
        try createStringDataset(path, strings, shape: [strings.count])
    }

    private func createStringDataset(_ path: String, _ strings: [String], shape: [Int]) throws -> HDF5Dataset {
        let target = joinPath(self.path, path)
        return try perform {
            guard kindLocked(path) == nil else {
                throw error(.alreadyExists, object: target, "cannot create dataset '\(target)': it already exists")
            }
            let (type, bytes) = HDF5Types.fixedStrings(strings)
            defer { _ = H5.Tclose(type) }
            let space = try makeSpace(shape, object: target)
            defer { _ = H5.Sclose(space) }
            let linkList = try linkCreationList(target)
            defer { _ = H5.Pclose(linkList) }
            let dataset = H5.Dcreate2(id, path, type, space, linkList, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            guard dataset >= 0 else { throw failure("cannot create dataset '\(target)'", object: target) }
            let status = strings.isEmpty ? 0 : bytes.withUnsafeBytes { buffer -> herr_t in
                H5.Dwrite(dataset, type, flint_H5S_ALL(), flint_H5S_ALL(), hid_t(H5P_DEFAULT), buffer.baseAddress)
            }
            guard status >= 0 else {
                _ = H5.Dclose(dataset)
                throw failure("cannot write dataset '\(target)'", object: target)
            }
            return try HDF5Dataset(handle: handle, opened: dataset, path: target)
        }
    }

    // MARK: - Internals (called with the library lock held)

    /// Chunks of whole rows, about 1 MB each, for compressed datasets.
    static func rowChunks(shape: [Int], itemSize: Int) -> [Int]? {
        guard let rows = shape.first else { return nil }
        let rowBytes = max(shape.dropFirst().reduce(itemSize, *), 1)
        let chunkRows = min(max(1, (1 << 20) / rowBytes), max(rows, 1))
        return [chunkRows] + shape.dropFirst()
    }

    func makeSpace(_ shape: [Int], object: String) throws -> hid_t {
        let space: hid_t
        if shape.isEmpty {
            space = H5.Screate(H5S_SCALAR)
        } else {
            let dims = shape.map { hsize_t($0) }
            space = H5.Screate_simple(Int32(dims.count), dims, nil)
        }
        guard space >= 0 else { throw failure("cannot make a dataspace of shape \(shape)", object: object) }
        return space
    }

    /// Link-creation properties that create missing parent groups.
    func linkCreationList(_ object: String) throws -> hid_t {
        let list = H5.Pcreate(H5.P_LINK_CREATE)
        guard list >= 0, H5.Pset_create_intermediate_group(list, 1) >= 0 else {
            throw failure("cannot prepare to create '\(displayPath(object))'", object: object)
        }
        return list
    }

    /// Resolves `path` one link at a time, because H5Lexists fails rather than
    /// answering false when a parent is missing.
    func kindLocked(_ path: String) -> HDF5ObjectKind? {
        let absolute = path.hasPrefix("/")
        let components = pathComponents(path)
        if components.isEmpty { return .group }
        var prefix = absolute ? "" : "."
        for component in components {
            prefix += "/" + component
            guard H5.Lexists(id, prefix, hid_t(H5P_DEFAULT)) > 0 else { return nil }
        }
        let object = H5.Oopen(id, prefix, hid_t(H5P_DEFAULT))
        guard object >= 0 else { return .other }
        defer { _ = H5.Oclose(object) }
        switch H5.Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Throws a `notFound` or `wrongKind` error unless `path` holds a `kind`.
    func expect(_ kind: HDF5ObjectKind, at path: String, target: String) throws {
        let found = kindLocked(path)
        if found == kind { return }
        if let found {
            let article = found == .other ? "not a group or dataset" : "a \(found.rawValue)"
            throw error(.wrongKind, object: target, "'\(displayPath(target))' is \(article), not a \(kind.rawValue)")
        }
        throw error(.notFound, object: target, "no \(kind.rawValue) '\(displayPath(target))'\(availableNear(target, kind: kind))")
    }

    /// " (available: a, b)": what the nearest existing parent of `target` holds.
    func availableNear(_ target: String, kind: HDF5ObjectKind) -> String {
        var components = pathComponents(target)
        var parent: hid_t = -1
        while parent < 0 {
            guard !components.isEmpty else { return "" }
            components.removeLast()
            let parentPath = "/" + components.joined(separator: "/")
            if kindLocked(parentPath) == .group { parent = H5.Gopen2(id, parentPath, hid_t(H5P_DEFAULT)) }
        }
        let group = HDF5Group(handle: handle, id: parent, path: components.joined(separator: "/"))
        let limit = 12
        let names: [String]
        if kind == .dataset {
            names = (try? group.datasetPathsLocked(limit: limit + 1)) ?? []
        } else {
            names = ((try? group.childrenLocked()) ?? []).filter { $0.kind == .group }
                .map { joinPath(group.path, $0.name) }
        }
        if names.isEmpty {
            return group.path.isEmpty ? " (the file has no \(kind.rawValue)s)" : " ('\(group.path)' has no \(kind.rawValue)s)"
        }
        let shown = names.prefix(limit).joined(separator: ", ")
        return " (available: \(shown)\(names.count > limit ? ", …" : ""))"
    }

    /// The links of this group in name order. Iterated in the order libhdf5 stores them and
    /// sorted here: asking libhdf5 for name order builds a table of a group's links, and
    /// with a corrupt link heap releasing that table frees a wild pointer (a crash, not an error).
    func childrenLocked() throws -> [HDF5Child] {
        final class Names { var list: [String] = [] }
        let names = Names()
        var position: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5.Literate(id, H5_INDEX_NAME, H5_ITER_NATIVE, &position, { _, name, _, context in
                guard let name, let context else { return -1 }
                Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        guard status >= 0 else { throw failure("cannot list group '\(displayPath(path))'") }
        return names.list.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { HDF5Child(name: $0, kind: kindLocked($0) ?? .other) }
    }

    func datasetPathsLocked(limit: Int) throws -> [String] {
        var found: [String] = []
        for child in try childrenLocked() {
            if found.count >= limit { break }
            let childPath = joinPath(path, child.name)
            switch child.kind {
            case .dataset:
                found.append(childPath)
            case .group:
                let group = H5.Gopen2(id, child.name, hid_t(H5P_DEFAULT))
                guard group >= 0 else { continue }
                let sub = HDF5Group(handle: handle, id: group, path: childPath)
                found += try sub.datasetPathsLocked(limit: limit - found.count)
            case .other:
                continue
            }
        }
        return found
    }
}

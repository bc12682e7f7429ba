import Foundation
import Flint
import FlintHDF5
import FlintData

/// A checkpoint's record of its own contents: `/integrity` holds one line per dataset,
/// `PATH SHA-256`, and one `@attributes SHA-256` line over every attribute of every object,
/// written after the file is complete (by reading it back) and checked before anything of
/// it is used. A flipped bit anywhere in a tensor, the config or a counter is then
/// "checkpoint is corrupt: /model/0.weight fails its checksum" instead of a different model.
extension Checkpoint {
    /// Where the checksums live; a dataset so that its size is not bounded as an attribute's is.
    static let integrityPath = "integrity"
    /// Checkpoints from this version on carry `/integrity`; older ones are read without it.
    static let firstVersionWithIntegrity: Int64 = 2
    /// Groups deeper than this are not walked (a corrupt file can link a group into itself).
    private static let maxGroupDepth = 8

    /// Reads the finished file at `path` back and records the checksums of what it holds.
    static func seal(_ path: String) throws {
        let lines = try checksumLines(HDF5File.open(path))
        let file = try HDF5File.open(path, mode: .readWrite)
        try file.createDataset(integrityPath, string: lines.joined(separator: "\n"))
        try file.close()
    }

    /// Checks an open checkpoint against its `/integrity` record; throws `badInput` naming
    /// the first object that differs. Files older than `firstVersionWithIntegrity` pass.
    static func verify(_ file: HDF5File, path: String, version: Int64) throws {
        guard version >= firstVersionWithIntegrity else { return }
        let corrupt = { (what: String) in TrainError.badInput("\(path): checkpoint is corrupt: \(what)") }
        guard file.contains(integrityPath) else { throw corrupt("its checksum record /\(integrityPath) is missing") }
        let recorded: [String: String]
        do {
            recorded = Dictionary(try file.dataset(integrityPath).readString().split(separator: "\n").map { line in
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                return (parts.first ?? "", parts.count == 2 ? parts[1] : "")
            }, uniquingKeysWith: { first, _ in first })
        } catch {
            throw corrupt("its checksum record /\(integrityPath) cannot be read (\(error))")
        }
        let actual: [String]
        do {
            actual = try checksumLines(file)
        } catch {
            throw corrupt("\(error)")
        }
        var seen: Set<String> = []
        for line in actual {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            seen.insert(parts[0])
            guard let expected = recorded[parts[0]] else { throw corrupt("\(parts[0]) is not in its checksum record") }
            guard expected == parts[1] else {
                throw corrupt(parts[0] == "@attributes" ? "its attributes (epoch, step, optimizer and scheduler counters) "
                                  + "fail their checksum" : "\(parts[0]) fails its checksum")
            }
        }
        if let missing = recorded.keys.sorted().first(where: { !seen.contains($0) }) {
            throw corrupt("\(missing) is missing")
        }
    }

    /// `PATH SHA` for every dataset but the record itself, then `@attributes SHA`.
    private static func checksumLines(_ file: HDF5File) throws -> [String] {
        var lines: [String] = []
        var attributes = SHA256()
        try walk(file, depth: 0) { object, path in
            for name in try object.attributeNames().sorted() {
                attributes.update("\(path)@\(name)=\(try object.attribute(name))\n")
            }
            guard let dataset = object as? HDF5Dataset, path != "/" + integrityPath else { return }
            lines.append("\(path) \(try digest(dataset))")
        }
        lines.append("@attributes \(attributes.hexDigest())")
        return lines
    }

    /// Visits `group` and everything under it, in name order.
    private static func walk(_ group: HDF5Group, depth: Int, _ visit: (HDF5Object, String) throws -> Void) throws {
        let path = "/" + group.path
        try visit(group, path)
        guard depth < maxGroupDepth else { throw TrainError.badInput("groups nest deeper than \(maxGroupDepth) under \(path)") }
        for child in try group.children() {
            switch child.kind {
            case .group: try walk(try group.group(child.name), depth: depth + 1, visit)
            case .dataset: try visit(try group.dataset(child.name), "/" + (group.path.isEmpty ? "" : group.path + "/") + child.name)
            case .other: throw TrainError.badInput("\(path)/\(child.name) is neither a group nor a dataset")
            }
        }
    }

    /// SHA-256 of a dataset's type, shape and elements as stored (strings as UTF-8).
    private static func digest(_ dataset: HDF5Dataset) throws -> String {
        var hash = SHA256()
        hash.update("\(dataset.storedType) \(dataset.shape)\n")
        if dataset.dtype != nil {
            let tensor = try dataset.readTensor()
            tensor.withContiguousBytes { hash.update($0) }
        } else if dataset.storedType == "string" {
            for string in try dataset.readStrings() { hash.update(string + "\u{0}") }
        }
        return hash.hexDigest()
    }
}

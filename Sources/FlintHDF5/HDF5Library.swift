import CHDF5
import Foundation

/// Serialises every call into libhdf5. Debian's build is thread-safe, but the
/// default builds on other systems are not, and data loaders read from
/// background threads.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        flint_H5_silence_errors()
        flint_H5_clear_errors()
        return try body()
    }

    /// The most specific message libhdf5 left on the error stack, if any.
    static func innermostError() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { flint_H5_innermost_error($0.baseAddress) }
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return message.isEmpty ? nil : message
    }

    /// `message`, followed by libhdf5's own explanation when it left one.
    static func withDetail(_ message: String) -> String {
        guard let detail = innermostError() else { return message }
        return "\(message) (HDF5: \(detail))"
    }
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

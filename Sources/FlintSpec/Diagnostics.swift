import Foundation

/// Where a piece of a spec came from: a position in a YAML file, or a `--set` override.
///
/// Lines and columns start at 1, columns count Unicode scalars (as libyaml does).
/// A line of 0 means the file as a whole (it could not be read, for example).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public enum Origin: Hashable, Sendable {
        /// A file path exactly as the user wrote it, so messages name what they typed.
        case file(String)
        /// The command-line text that produced the value, e.g. `--set optimizer.lr=abc`.
        case commandLine(String)
    }

    public var origin: Origin
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.origin = .file(file)
        self.line = line
        self.column = column
    }

    public init(commandLine text: String) {
        self.origin = .commandLine(text)
        self.line = 0
        self.column = 0
    }

    /// The whole of a file, for problems that have no better position.
    public static func wholeFile(_ file: String) -> SourceLocation {
        SourceLocation(file: file, line: 0, column: 0)
    }

    /// The file path when the location is in a file.
    public var file: String? {
        if case .file(let path) = origin { return path }
        return nil
    }

    public var description: String {
        switch origin {
        case .commandLine(let text):
            return text
        case .file(let path):
            return line > 0 ? "\(path):\(line):\(column)" : path
        }
    }
}

/// A key path as a reader writes it: `model.layers[3].out_features` for `model.layers.3.out_features`.
public func displayKeyPath(_ keyPath: String) -> String {
    var out = ""
    for segment in keyPath.split(separator: ".", omittingEmptySubsequences: false) {
        if !segment.isEmpty, segment.allSatisfy({ $0.isASCII && $0.isNumber }) {
            out += "[\(segment)]"
        } else {
            out += (out.isEmpty ? "" : ".") + segment
        }
    }
    return out
}

/// One problem found in a spec.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// Dotted path of the offending node (`model.layers.3.out_features`), empty for the whole spec.
    public var keyPath: String

    public init(_ severity: Severity, at location: SourceLocation, _ message: String, keyPath: String = "") {
        self.severity = severity
        self.location = location
        self.message = message
        self.keyPath = keyPath
    }

    public static func error(at location: SourceLocation, _ message: String, keyPath: String = "") -> Diagnostic {
        Diagnostic(.error, at: location, message, keyPath: keyPath)
    }

    public static func warning(at location: SourceLocation, _ message: String, keyPath: String = "") -> Diagnostic {
        Diagnostic(.warning, at: location, message, keyPath: keyPath)
    }

    /// `FILE:LINE:COL: error: MESSAGE`, or `--set K=V: error: MESSAGE` for overrides.
    public var description: String {
        "\(location): \(severity.rawValue): \(message)"
    }
}

/// Every problem of one pass over a spec; thrown only when at least one is an error.
public struct SpecError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    /// One diagnostic per line, in the order a reader meets them in the files.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Collects diagnostics across all phases so that one pass reports every problem.
struct DiagnosticBag {
    private(set) var diagnostics: [Diagnostic] = []
    private var seen: Set<Diagnostic> = []
    /// Nodes that already have an error, so a later phase does not pile a second,
    /// derived complaint onto the same spot (a failed `${x}` is not also "not an integer").
    private var flagged: Set<SourceLocation> = []

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    var errorCount: Int { diagnostics.count { $0.severity == .error } }
    var flaggedLocations: Set<SourceLocation> { flagged }

    mutating func error(_ message: String, at location: SourceLocation, keyPath: String = "") {
        add(.error(at: location, message, keyPath: keyPath))
    }

    mutating func warning(_ message: String, at location: SourceLocation, keyPath: String = "") {
        add(.warning(at: location, message, keyPath: keyPath))
    }

    mutating func add(_ diagnostic: Diagnostic) {
        guard seen.insert(diagnostic).inserted else { return }
        diagnostics.append(diagnostic)
        if diagnostic.severity == .error { flagged.insert(diagnostic.location) }
    }

    /// Marks a node as already accounted for, when its problem was reported elsewhere
    /// (a reference to a value that is itself wrong).
    mutating func flag(_ location: SourceLocation) {
        flagged.insert(location)
    }

    /// Diagnostics in reading order: the spec the user named, then the bases it extends
    /// (in order of first appearance), each by position, then command-line origins in the
    /// order of `commandLine`. The sort is stable, so problems at one spot keep the order
    /// they were found in.
    func sorted(file: String = "", commandLine: [String] = []) -> [Diagnostic] {
        var rank: [SourceLocation.Origin: Int] = [.file(file): 0]
        for diagnostic in diagnostics where diagnostic.location.file != nil && rank[diagnostic.location.origin] == nil {
            rank[diagnostic.location.origin] = rank.count
        }
        for text in commandLine where rank[.commandLine(text)] == nil {
            rank[.commandLine(text)] = rank.count
        }
        for diagnostic in diagnostics where rank[diagnostic.location.origin] == nil {
            rank[diagnostic.location.origin] = rank.count
        }
        return diagnostics.enumerated().sorted { a, b in
            let (la, lb) = (a.element.location, b.element.location)
            let ka = (rank[la.origin] ?? 0, la.line, la.column, a.offset)
            let kb = (rank[lb.origin] ?? 0, lb.line, lb.column, b.offset)
            return ka < kb
        }.map(\.element)
    }
}

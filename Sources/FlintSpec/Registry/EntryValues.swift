/// A problem found while building, reported at the entry's line, or at the line of
/// `field` when one value is to blame (a declared size the input contradicts).
public struct BuildProblem: Error, CustomStringConvertible {
    public let message: String
    public let field: String?

    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// The values builders read. A field the schema requires or gives a default is
/// always present once the entry validated (`SpecEntry` applies the default), so
/// these accessors are not optional and no builder repeats a default: a value
/// missing here means a registration reads a field its schema leaves optional,
/// reported naming the field, never replaced by a guess. Fields PyTorch leaves
/// `None` (or sizes the builder infers) are read with the optional accessors.
extension SpecEntry {
    private func present<T>(_ value: T?, _ name: String, _ kind: String) throws -> T {
        guard let value else {
            throw BuildProblem("internal error: field '\(name)' has no \(kind) value; its schema must require it "
                               + "or give it a default", field: name)
        }
        return value
    }

    /// An int; also the only element of a one-element list (PyTorch's `_size_1_t`, `3` or `[3]`).
    public func intValue(_ name: String) throws -> Int {
        if case .ints(let values)? = value(name), values.count == 1 { return values[0] }
        return try present(int(name), name, "int")
    }

    public func doubleValue(_ name: String) throws -> Double { try present(double(name), name, "float") }

    public func boolValue(_ name: String) throws -> Bool { try present(bool(name), name, "bool") }

    public func stringValue(_ name: String) throws -> String { try present(string(name), name, "string") }

    /// Integers of a list field; a single integer is repeated `count` times (`kernel_size: 3` is `[3, 3]`).
    public func intsValue(_ name: String, count: Int? = nil) throws -> [Int] {
        try present(ints(name, count: count), name, "list of ints")
    }

    public func doublesValue(_ name: String) throws -> [Double] { try present(doubles(name), name, "list of floats") }

    /// A `.choice` field as the enum whose raw values the schema offers.
    public func choiceValue<T: RawRepresentable>(_ name: String, as type: T.Type) throws -> T where T.RawValue == String {
        let written = try stringValue(name)
        guard let value = T(rawValue: written) else {
            throw BuildProblem("internal error: field '\(name)' is '\(written)', which the schema offers but \(T.self) lacks",
                               field: name)
        }
        return value
    }
}

/// The element type of a tensor, chosen at run time as in PyTorch.
public enum DType: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case bool
    case uint8
    case int32
    case int64
    case float32
    case float64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .bool, .uint8: return 1
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    public var isIntegral: Bool { self == .uint8 || self == .int32 || self == .int64 }

    public var description: String { rawValue }

    /// PyTorch's category order for promotion: bool < integral < floating.
    var category: Int { self == .bool ? 0 : (isFloatingPoint ? 2 : 1) }

    /// Position in the order of each category, for picking the wider type.
    var rank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 1
        case .int32: return 2
        case .int64: return 3
        case .float32: return 4
        case .float64: return 5
        }
    }

    /// `torch.promote_types` for the dtypes Flint has.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        return a.rank >= b.rank ? a : b
    }
}

import Flint

/// Finds the first tensor that holds a NaN or an infinity, for the trainer's
/// guard, which runs on every step and so must cost little.
enum NaNGuard {
    /// Whether every element is finite. A float is NaN or infinite exactly when
    /// its exponent bits are all ones; the maximum of the masked exponents is an
    /// integer reduction the compiler vectorises.
    static func allFinite(_ t: Tensor) -> Bool {
        switch t.dtype {
        case .float32:
            return (try? t.withUnsafeElements(Float.self) { buf in
                buf.withMemoryRebound(to: UInt32.self) { bits in
                    var top: UInt32 = 0
                    for b in bits { top = Swift.max(top, b & 0x7F80_0000) }
                    return top != 0x7F80_0000
                }
            }) ?? true
        case .float64:
            return (try? t.withUnsafeElements(Double.self) { buf in
                buf.withMemoryRebound(to: UInt64.self) { bits in
                    var top: UInt64 = 0
                    for b in bits { top = Swift.max(top, b & 0x7FF0_0000_0000_0000) }
                    return top != 0x7FF0_0000_0000_0000
                }
            }) ?? true
        default:
            return true
        }
    }

    /// The name of the first parameter (in state-dict order) whose gradient is not finite.
    static func firstNonFiniteGradient(_ params: [(name: String, tensor: Tensor)]) -> String? {
        params.first { p in p.tensor.grad.map { !allFinite($0) } ?? false }?.name
    }

    static func firstNonFiniteParameter(_ params: [(name: String, tensor: Tensor)]) -> String? {
        params.first { !allFinite($0.tensor) }?.name
    }
}

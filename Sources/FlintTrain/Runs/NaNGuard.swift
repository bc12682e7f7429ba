import Flint

/// Finds the first tensor that holds a NaN or an infinity, for the trainer's
/// guard, which runs on every step and so must cost little.
enum NaNGuard {
    /// Whether every element is finite. A float is NaN or infinite exactly when
    /// its exponent bits are all ones; testing that is an integer compare the
    /// compiler vectorises.
    static func allFinite(_ t: Tensor) -> Bool {
        switch t.dtype {
        case .float32:
            return (try? t.withUnsafeElements(Float.self) { buf in
                buf.withMemoryRebound(to: UInt32.self) { bits in
                    // A compare and an or per element vectorise on baseline x86-64 (SSE2); an unsigned max does not.
                    var bad: UInt32 = 0
                    for b in bits { bad |= (b & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
                    return bad == 0
                }
            }) ?? true
        case .float64:
            return (try? t.withUnsafeElements(Double.self) { buf in
                buf.withMemoryRebound(to: UInt64.self) { bits in
                    var bad: UInt64 = 0
                    for b in bits { bad |= (b & 0x7FF0_0000_0000_0000) == 0x7FF0_0000_0000_0000 ? 1 : 0 }
                    return bad == 0
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

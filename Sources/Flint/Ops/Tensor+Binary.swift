/// More two-input pointwise ops: `fmod`, `remainder`, `floor_divide`,
/// `atan2`, and composites (`lerp`, `hypot`, `addcmul`, `addcdiv`, `xlogy`,
/// `logaddexp`, `fmax`, `fmin`, `copysign`, `rsub`, `div` with a rounding mode).

extension Tensor {
    public func fmod(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .fmod) }
    public func fmod(_ other: Double) throws -> Tensor { try Tensor.binary(self, wrap(other), .fmod) }
    public func remainder(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .remainder) }
    public func remainder(_ other: Double) throws -> Tensor { try Tensor.binary(self, wrap(other), .remainder) }
    public func floorDivide(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .floorDivide) }
    public func atan2(_ other: Tensor) throws -> Tensor { try Tensor.binary(self, other, .atan2) }

    /// `div(other, rounding_mode)`: `nil` (true division), `"trunc"` or `"floor"`.
    public func div(_ other: Tensor, roundingMode: String?) throws -> Tensor {
        switch roundingMode {
        case nil: return try self / other
        case "floor": return try floorDivide(other)
        case "trunc":
            if resultTypeIsIntegral(other) { return try (self - fmod(other)).floorDivide(other) }
            return try (self / other).trunc()
        default: throw TensorError.invalidArgument(op: "div", message: "rounding_mode must be nil, 'trunc' or 'floor', got '\(roundingMode ?? "")'")
        }
    }

    private func resultTypeIsIntegral(_ other: Tensor) -> Bool { !Tensor.resultType(self, other, .add).isFloatingPoint }

    /// `rsub(other, alpha)`: `other − alpha·self`.
    public func rsub(_ other: Tensor, alpha: Double = 1) throws -> Tensor { try other.sub(self, alpha: alpha) }

    /// `lerp(end, weight)`: `self + weight·(end − self)`. Composite.
    public func lerp(_ end: Tensor, weight: Tensor) throws -> Tensor { try self + weight * (end - self) }
    public func lerp(_ end: Tensor, weight: Double) throws -> Tensor { try self + (end - self) * weight }

    /// `hypot(other)`: `√(a² + b²)`. Composite.
    public func hypot(_ other: Tensor) throws -> Tensor { try (self * self + other * other).sqrt() }

    /// `addcmul(t1, t2, value)`: `self + value·t1·t2`. Composite.
    public func addcmul(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws -> Tensor { try self + t1 * t2 * value }

    /// `addcdiv(t1, t2, value)`: `self + value·t1/t2`. Composite.
    public func addcdiv(_ t1: Tensor, _ t2: Tensor, value: Double = 1) throws -> Tensor { try self + t1 / t2 * value }

    /// `xlogy(other)`: `x·log(y)`, and 0 where x = 0 even when log(y) is
    /// infinite (NaN in y stays NaN). Composite.
    public func xlogy(_ other: Tensor) throws -> Tensor {
        let logY = try other.log()
        let zero = try self.eq(0).logicalAnd(logY.isinf())
        return try self * Tensor.whereMask(zero, Tensor.zeros([], dtype: logY.dtype), logY)
    }

    /// `logaddexp(other)`: `log(eᵃ + eᵇ)`, computed stably. Composite.
    public func logaddexp(_ other: Tensor) throws -> Tensor {
        let m = try noGrad { try self.detach().maximum(other.detach()) }
        let shift = try noGrad { try Tensor.whereMask(m.isfinite(), m, Tensor.zeros([], dtype: m.dtype)) }
        return try ((self - shift).exp() + (other - shift).exp()).log() + shift
    }

    /// `fmax(other)` / `fmin(other)`: like maximum/minimum, but a NaN loses to a number. Composite.
    public func fmax(_ other: Tensor) throws -> Tensor {
        let pickOther = try isnan().logicalAnd(other.isnan().logicalNot())
        let pickSelf = try other.isnan()
        return try Tensor.whereMask(pickOther, other, Tensor.whereMask(pickSelf, self, maximum(other)))
    }
    public func fmin(_ other: Tensor) throws -> Tensor {
        let pickOther = try isnan().logicalAnd(other.isnan().logicalNot())
        let pickSelf = try other.isnan()
        return try Tensor.whereMask(pickOther, other, Tensor.whereMask(pickSelf, self, minimum(other)))
    }

    /// `copysign(other)`: `|self|` with the sign of `other`. Composite.
    public func copysign(_ other: Tensor) throws -> Tensor {
        let x = dtype.isFloatingPoint ? self : casted(to: .float32)
        return try Tensor.whereMask(other.signbit(), x.abs().neg(), x.abs())
    }

    /// `float_power(exponent)`: `pow` in float64.
    public func floatPower(_ exponent: Tensor) throws -> Tensor { try casted(to: .float64).pow(exponent.casted(to: .float64)) }
}

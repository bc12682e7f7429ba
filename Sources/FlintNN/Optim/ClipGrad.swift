import CFlintKernels
import Foundation
import Flint

/// `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
public enum ClipGrad {
    /// Scales every gradient in place so that their joint `normType`-norm is
    /// at most `maxNorm` (by `maxNorm / (total + 1e-6)`, as PyTorch does).
    ///
    /// - Parameter normType: p of the p-norm; `.infinity` for the largest |g|.
    /// - Returns: the total norm before clipping.
    @discardableResult
    public static func clipGradNorm(_ params: [Tensor], maxNorm: Double, normType: Double = 2,
                                    errorIfNonfinite: Bool = false) throws -> Double {
        guard normType > 0 else {
            throw TensorError.invalidArgument(op: "clip_grad_norm_", message: "norm_type must be positive, got \(normType)")
        }
        let grads = params.compactMap { $0.grad }
        if grads.isEmpty { return 0 }
        // Norm of the per-tensor norms, as PyTorch composes it.
        var total = 0.0
        for g in grads {
            let v = try norm(g, normType)
            total = normType.isInfinite ? Swift.max(total, v) : total + Foundation.pow(v, normType)
        }
        if !normType.isInfinite { total = Foundation.pow(total, 1 / normType) }
        if errorIfNonfinite && !total.isFinite {
            throw TensorError.invalidArgument(op: "clip_grad_norm_", message: "the total norm of order \(normType) for gradients is non-finite, so it cannot be clipped")
        }
        let isFloat32 = grads.allSatisfy { $0.dtype == .float32 }
        // PyTorch computes the coefficient in the gradients' dtype.
        let coefficient = isFloat32 ? Double(Float(maxNorm) / (Float(total) + Float(1e-6))) : maxNorm / (total + 1e-6)
        guard coefficient < 1 else { return total }
        for p in params { try scaleGrad(of: p, by: coefficient) }
        return total
    }

    /// Clamps every gradient in place to `[-clipValue, clipValue]`.
    public static func clipGradValue(_ params: [Tensor], clipValue: Double) throws {
        for p in params {
            guard let g = p.grad else { continue }
            let out = g.contiguous()
            switch out.dtype {
            case .float32:
                let c = Float(clipValue)
                try out.withUnsafeMutableElements(Float.self) { v in for i in 0..<v.count { v[i] = Swift.min(Swift.max(v[i], -c), c) } }
            case .float64:
                try out.withUnsafeMutableElements(Double.self) { v in for i in 0..<v.count { v[i] = Swift.min(Swift.max(v[i], -clipValue), clipValue) } }
            default:
                throw TensorError.badDType(op: "clip_grad_value_", dtype: out.dtype, detail: "gradients must be floating point (shape \(out.shape))")
            }
            p.grad = out
        }
    }

    /// ‖g‖_p of one gradient, accumulated in double precision.
    private static func norm(_ g: Tensor, _ p: Double) throws -> Double {
        switch g.dtype {
        case .float32: return try g.withUnsafeElements(Float.self) { norm($0, p) }
        case .float64: return try g.withUnsafeElements(Double.self) { norm($0, p) }
        default: throw TensorError.badDType(op: "clip_grad_norm_", dtype: g.dtype, detail: "gradients must be floating point (shape \(g.shape))")
        }
    }

    private static func norm<T: FloatElement>(_ v: UnsafeBufferPointer<T>, _ p: Double) -> Double {
        var acc = 0.0
        if p.isInfinite {
            for x in v { acc = Swift.max(acc, Swift.abs(x.flintDouble)) }
            return acc
        }
        if p == 2, let base = v.baseAddress {
            let squares = T.self == Double.self ? flint_sum_squares_f64(kernelPointer(base), v.count)
                                                : flint_sum_squares_f32(kernelPointer(base), v.count)
            return squares.squareRoot()
        }
        for x in v { acc += Foundation.pow(Swift.abs(x.flintDouble), p) }
        return p == 1 ? acc : Foundation.pow(acc, 1 / p)
    }

    /// Multiplies `p.grad` by `coefficient` in its dtype, in place when it is contiguous.
    private static func scaleGrad(of p: Tensor, by coefficient: Double) throws {
        guard let g = p.grad else { return }
        let target = g.contiguous()
        if target.dtype == .float64 {
            try target.withUnsafeMutableElements(Double.self) { v in for i in 0..<v.count { v[i] *= coefficient } }
        } else {
            let c = Float(coefficient)
            try target.withUnsafeMutableElements(Float.self) { v in for i in 0..<v.count { v[i] *= c } }
        }
        p.grad = target
    }
}

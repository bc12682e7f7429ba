import XCTest
import Flint

/// Autograd's float64 gradients of `loss` at `inputs` beside central finite differences,
/// element by element: (f(x + ε) − f(x − ε)) / 2ε, whose error is O(ε²) from the Taylor
/// series plus rounding of about 1e-16·|f| / ε.
///
/// `visit(input, element, analytic, numeric)` sees each pair and returns false to stop.
/// Inputs that are not `differentiable` (integer indices, masks) are left out; an input
/// whose gradient autograd leaves empty counts as zeros.
public func compareWithFiniteDifferences(_ loss: ([Tensor]) throws -> Tensor, at inputs: [Tensor],
                                         differentiable: [Bool]? = nil, eps: Double = 1e-6,
                                         _ visit: (_ input: Int, _ element: Int, _ analytic: Double, _ numeric: Double) -> Bool) throws {
    // Every evaluation gets copies: an in-place op inside `loss` must not change the next one's inputs.
    let leaves = inputs.enumerated().map { i, x in
        x.detach().clone().requiringGrad(differentiable.map { i < $0.count && $0[i] } ?? true)
    }
    try loss(leaves).backward()
    for (i, x) in leaves.enumerated() where x.requiresGrad {
        let analytic = (x.grad ?? Tensor.zerosLike(x)).toArray(Double.self)
        var values = inputs[i].toArray(Double.self)
        for j in values.indices {
            let saved = values[j]
            func evaluate(_ v: Double) throws -> Double {
                values[j] = v
                var probe = inputs.map { $0.detach().clone() }
                probe[i] = try Tensor(values, shape: x.shape)
                return try noGrad { try loss(probe).item() }
            }
            let numeric = (try evaluate(saved + eps) - evaluate(saved - eps)) / (2 * eps)
            values[j] = saved
            guard visit(i, j, analytic[j], numeric) else { return }
        }
    }
}

/// Asserts that autograd's float64 gradients of `loss` at `inputs` match central finite
/// differences within `absolute + relative·|numeric|` for every element of every input.
public func assertGradientsMatchFiniteDifferences(_ loss: ([Tensor]) throws -> Tensor, at inputs: [Tensor],
                                                  absolute: Double = 1e-6, relative: Double = 1e-5,
                                                  _ label: @autoclosure () -> String = "",
                                                  file: StaticString = #filePath, line: UInt = #line) throws {
    try compareWithFiniteDifferences(loss, at: inputs) { i, j, analytic, numeric in
        XCTAssertEqual(analytic, numeric, accuracy: absolute + relative * Swift.abs(numeric),
                       "\(label()), input \(i), element \(j)", file: file, line: line)
        return true
    }
}

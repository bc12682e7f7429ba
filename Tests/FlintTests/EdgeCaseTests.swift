import XCTest
@testable import Flint

/// Ops on 0-dim and empty tensors, with dims and indices at the edges: each
/// must return a result or throw, never trap.
final class EdgeCaseTests: XCTestCase {
    func testScalarInputsNeverTrap() {
        let s = Tensor.scalar(1.5)
        let i = Tensor.scalar(0, dtype: .int64)
        let calls: [(String, () throws -> Any)] = [
            ("narrow", { try s.narrow(0, start: 0, length: 1) }), ("select", { try s.select(0, 0) }),
            ("split", { try s.split(1) }), ("chunk", { try s.chunk(2) }), ("unbind", { try s.unbind() }),
            ("flip", { try s.flip([0]) }), ("roll", { try s.roll([1], dims: [0]) }), ("index_add", { try s.indexAdd(0, i, s) }),
            ("index_select", { try s.indexSelect(0, i) }), ("gather", { try s.gather(0, i) }), ("scatter", { try s.scatter(0, i, value: 2) }),
            ("index_fill", { try s.indexFill(0, i, value: 2) }), ("cumsum", { try s.cumsum(dim: 0) }), ("cumprod", { try s.cumprod(dim: 0) }),
            ("cummax", { try s.cummax(dim: 0) }), ("sort", { try s.sort(dim: 0) }), ("topk", { try s.topk(1, dim: 0) }),
            ("kthvalue", { try s.kthvalue(1, dim: 0) }), ("median", { try s.median(dim: 0) }), ("prod", { try s.prod(dim: 0) }),
            ("max", { try s.max(dim: 0) }), ("amax", { try s.amax(dims: [0]) }), ("softmax", { try s.softmax(dim: 0) }),
            ("logsumexp", { try s.logsumexp(dims: [0]) }), ("var", { try s.variance(dims: [0]) }), ("glu", { try s.glu() }),
            ("repeat_interleave", { try s.repeatInterleave(2, dim: 0) }), ("unsqueeze", { try s.unsqueeze(0) }),
            ("squeeze", { try s.squeeze(0) }), ("movedim", { try s.movedim([0], [0]) }), ("tensor_split", { try s.tensorSplit(2) }),
            ("diagonal", { try s.diagonal() }), ("tril", { try s.tril() }), ("pad", { try s.pad([1, 1]) }),
            ("cat", { try Tensor.cat([s, s]) }), ("stack", { try Tensor.stack([s, s]) }), ("take", { try s.take(i) }),
            ("nonzero", { try s.nonzero() }), ("one_hot", { try i.oneHot(numClasses: 2) }), ("flatten", { try s.flatten() }),
            ("matmul", { try s.matmul(s) }), ("einsum", { try Tensor.einsum("->", [s]) }), ("cross_entropy", { try s.crossEntropy(i) }),
            ("layer_norm", { try s.layerNorm([1]) }), ("conv2d", { try s.conv2d(s) }), ("max_pool2d", { try s.maxPool2d(kernelSize: [1]) }),
            ("interpolate", { try s.interpolate(size: [2]) }), ("linalg.inv", { try Linalg.inv(s) }), ("norm", { try s.norm(dims: [0]) }),
            ("slice", { try s.slice(0, step: 2) }), ("expand", { try s.expand([3]) }), ("permute", { try s.permute([0]) }),
        ]
        for (name, call) in calls {
            _ = Result { try call() }
            _ = name
        }
    }

    func testEmptyInputsNeverTrap() throws {
        let e = try Tensor.zeros([0, 3])
        let calls: [() throws -> Any] = [
            { try e.sum(dim: 0) }, { try e.mean(dim: 1) }, { try e.max(dim: 1) }, { try e.max(dim: 0) }, { try e.amax(dims: [0]) },
            { try e.softmax(dim: 0) }, { try e.sort(dim: 0) }, { try e.median(dim: 0) }, { try e.cumsum(dim: 0) }, { try e.prod(dim: 0) },
            { try e.matmul(Tensor.zeros([3, 2])) }, { try e.flip([0]) }, { try e.roll([1], dims: [0]) }, { try e.nonzero() },
            { try e.unbind() }, { try e.chunk(2) }, { try e.topk(0, dim: 0) }, { try e.min() }, { try e.argmax() },
            { try e.layerNorm([3]) }, { try e.linear(Tensor.zeros([4, 3])) }, { try Tensor.zeros([0, 1, 4, 4]).conv2d(Tensor.zeros([2, 1, 3, 3])) },
            { try Tensor.zeros([0, 1, 4, 4]).maxPool2d(kernelSize: [2]) }, { try e.crossEntropy(Tensor.zeros([0], dtype: .int64)) },
            { try e.pad([1, 1], mode: "reflect") }, { try e.repeat([2, 2]) }, { try e.oneHot() }, { try e.kthvalue(1, dim: 0) },
            { try e.unique(dim: 0) }, { try e.unique(dim: 1) }, { try Tensor.einsum("ii->i", [Tensor.zeros([0, 0])]) },
            { try Linalg.lstsq(e, Tensor.zeros([0, 2]), driver: .gelsd) },
        ]
        for call in calls { _ = Result { try call() } }
        XCTAssertEqual(try e.sum(dim: 0).toArray(Float.self), [0, 0, 0])
        XCTAssertEqual(try e.matmul(Tensor.zeros([3, 2])).shape, [0, 2])
    }
}

import XCTest
@testable import Flint

/// Bad input gives a typed error, never a trap, and the message names the
/// op and the shapes involved.
final class ErrorTests: XCTestCase {
    func assertError(_ body: @autoclosure () throws -> Any, mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            for p in parts { XCTAssertTrue(message.contains(p), "'\(message)' does not mention \(p)", file: file, line: line) }
        }
    }

    func testShapeMismatches() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        assertError(try a.matmul(b), mentions: ["matmul", "[2, 3]", "[4, 5]"])
        assertError(try a + Tensor.zeros([4]), mentions: ["add", "[2, 3]", "[4]"])
        assertError(try Tensor.cat([a, b], dim: 0), mentions: ["cat", "[2, 3]", "[4, 5]"])
        assertError(try Tensor.zeros([1, 3, 8, 8]).conv2d(Tensor.zeros([4, 2, 3, 3])), mentions: ["conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]"])
        assertError(try a.reshape([4, 2]), mentions: ["reshape", "[2, 3]", "[4, 2]"])
        assertError(try a.layerNorm([2]), mentions: ["layer_norm", "[2, 3]", "[2]"])
        assertError(try Linalg.solve(Tensor.eye(3), Tensor.zeros([2])), mentions: ["linalg.solve", "[3, 3]", "[2]"])
        assertError(try a.mseLoss(b), mentions: ["mse_loss", "[2, 3]", "[4, 5]"])
        assertError(try Linalg.lstsq(Tensor.zeros([5, 3]), Tensor.zeros([4, 2])), mentions: ["linalg.lstsq", "[5, 3]", "[4, 2]"])
        assertError(try a.indexCopy(0, Tensor([1] as [Int64]), Tensor.zeros([1, 4])), mentions: ["index_copy", "[2, 3]", "[1, 4]"])
        assertError(try a.scatterReduce(1, Tensor.zeros([2, 4], dtype: .int64), Tensor.zeros([2, 2]), reduce: "sum"),
                    mentions: ["scatter_reduce", "[2, 3]", "[2, 4]", "[2, 2]"])
    }

    func testBadDims() throws {
        let a = try Tensor.zeros([2, 3])
        assertError(try a.sum(dim: 2), mentions: ["sum", "dimension 2", "[2, 3]"])
        assertError(try a.softmax(dim: -3), mentions: ["softmax", "-3", "[2, 3]"])
        assertError(try a.transpose(0, 5), mentions: ["transpose", "5", "[2, 3]"])
        assertError(try a.cumsum(dim: 4), mentions: ["cumsum", "[2, 3]"])
        assertError(try a.sort(dim: 2), mentions: ["sort", "[2, 3]"])
    }

    func testOutOfRangeIndices() throws {
        let a = try Tensor.zeros([2, 3])
        assertError(try a.gather(1, Tensor([0, 7, 1, 1] as [Int64], shape: [2, 2])), mentions: ["gather", "index 7", "size 3", "[2, 3]"])
        assertError(try a.indexSelect(0, Tensor([2] as [Int64])), mentions: ["index_select", "index 2", "[2, 3]"])
        assertError(try a.select(1, 3), mentions: ["select", "index 3", "size 3"])
        assertError(try Tensor([5] as [Int64]).oneHot(numClasses: 3), mentions: ["one_hot", "index 5"])
        assertError(try Tensor([0, 1] as [Int64]).embedding(Tensor.zeros([1, 4])), mentions: ["index_select", "index 1", "[1, 4]"])
        assertError(try a.topk(4), mentions: ["topk", "k=4", "[2, 3]"])
        assertError(try a.narrow(1, start: 2, length: 2), mentions: ["narrow"])
        assertError(try a.scatterReduce(1, Tensor([0, 7] as [Int64], shape: [1, 2]), Tensor.zeros([1, 2]), reduce: "amax"),
                    mentions: ["scatter_reduce", "index 7", "[2, 3]"])
    }

    func testDTypeMisuse() throws {
        let a = try Tensor.zeros([2, 3])
        assertError(try a.gather(1, Tensor.zeros([2, 2])), mentions: ["gather", "float32", "[2, 2]", "[2, 3]"])
        assertError(try Tensor.whereMask(a, a, a), mentions: ["where", "bool"])
        assertError(try Tensor.zeros([2], dtype: .bool) - Tensor.zeros([2], dtype: .bool), mentions: ["sub", "bool", "[2]"])
        assertError(try Tensor.zeros([3], dtype: .int64).mean(), mentions: ["mean", "int64"])
        assertError(try a.bitwiseAnd(a), mentions: ["bitwise_and", "float32", "[2, 3]"])
        assertError(try Tensor.zeros([1, 1, 4, 4], dtype: .float64).conv2d(Tensor.zeros([1, 1, 3, 3])), mentions: ["conv2d", "float64", "float32"])
        assertError(try Tensor.zeros([2], dtype: .int64).floorDivide(Tensor.zeros([2], dtype: .int64)), mentions: ["floor_divide", "ZeroDivisionError", "[2]"])
    }

    func testBadArguments() throws {
        let x = try Tensor.zeros([1, 1, 4, 4])
        assertError(try x.maxPool2d(kernelSize: [3], padding: [2]), mentions: ["max_pool2d", "pad should be at most half"])
        assertError(try x.conv2d(Tensor.zeros([1, 1, 5, 5])), mentions: ["conv2d", "kernel size"])
        assertError(try x.pad([5, 5], mode: "reflect"), mentions: ["pad", "reflect", "[1, 1, 4, 4]"])
        assertError(try Tensor.zeros([1, 1, 4]).interpolate(size: [2], mode: "bicubic"), mentions: ["interpolate", "bicubic", "[1, 1, 4]"])
        assertError(try Tensor.zeros([3, 3]).tril().reshape([9]).tril(), mentions: ["tril", "[9]"])
        assertError(try Linalg.inv(Tensor.zeros([2, 2])), mentions: ["linalg.inv", "singular", "[2, 2]"])
        assertError(try Linalg.cholesky(Tensor.eye(2) * -1), mentions: ["linalg.cholesky", "positive-definite"])
        assertError(try Tensor.einsum("ij,jk->ik", [Tensor.zeros([2, 3]), Tensor.zeros([4, 5])]), mentions: ["einsum", "[2, 3]", "[4, 5]"])
        assertError(try Tensor.einsum("...ij,...jk", [Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 4, 5])]), mentions: ["einsum", "...", "2", "3"])
        assertError(try x.scatterReduce(1, Tensor.zeros([1, 1, 4, 1], dtype: .int64), x, reduce: "median"), mentions: ["scatter_reduce", "median"])
        assertError(try Linalg.eig(Tensor.eye(2).requiringGrad()), mentions: ["linalg.eig", "autograd", "[2, 2]"])
        assertError(try Tensor.einsum("iij->j", [Tensor.zeros([2, 3, 4])]), mentions: ["einsum", "subscript i", "[2, 3, 4]"])
        assertError(try Tensor.zeros([2, 3]).unique(dim: 2), mentions: ["unique", "dimension 2", "[2, 3]"])
        assertError(try Tensor.zeros([0, 3]).unique(dim: 1), mentions: ["unique", "size 0", "[0, 3]"])
        assertError(try Tensor.scalar(1.0).unique(dim: 0), mentions: ["unique", "no dimensions"])
        // gels assumes full rank: a zero column leaves R singular.
        assertError(try Linalg.lstsq(Tensor.ones([4, 2]) * Tensor([1, 0] as [Float]), Tensor.ones([4, 1]), driver: .gels),
                    mentions: ["linalg.lstsq", "gels", "[4, 2]", "[4, 1]"])
    }

    func testNegativeSizes() {
        assertError(try Tensor.zeros([-1, 3]), mentions: ["zeros", "negative dimension -1", "[-1, 3]"])
        assertError(try Tensor.ones([2, -3]), mentions: ["ones", "-3", "[2, -3]"])
        assertError(try Tensor.full([-2], 1), mentions: ["full", "-2"])
        assertError(try Tensor.empty([-1]), mentions: ["empty", "-1"])
        assertError(try Tensor.rand([-4]), mentions: ["rand", "-4"])
        assertError(try Tensor.randn([3, -1]), mentions: ["randn", "[3, -1]"])
        assertError(try Tensor.randint(0, 5, [-1]), mentions: ["randint", "-1"])
        assertError(try Tensor.eye(-1), mentions: ["eye", "-1"])
        assertError(try Tensor([1, 2] as [Float], shape: [-1, -2]), mentions: ["tensor", "[-1, -2]"])
        assertError(try Tensor.arange(0, .infinity), mentions: ["arange", "inf"])
        assertError(try Tensor.zeros([1, 1, 4]).interpolate(scaleFactor: [.nan]), mentions: ["interpolate", "scale_factor"])
    }
}

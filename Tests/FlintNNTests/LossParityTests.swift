import XCTest
import FlintNN

/// Every loss with every reduction: values and the gradients of sum(loss · w)
/// within 1e-4 of PyTorch's.
final class LossParityTests: XCTestCase {
    enum AnyLoss {
        case single(Loss)
        case pairwise(PairwiseLoss)
    }

    static func makeLoss(_ type: String, _ args: FixtureArgs, tensors: [String: Tensor]) throws -> AnyLoss {
        let name = args.string("reduction", "mean")
        let reduction = Reduction(rawValue: name) ?? .mean
        switch type {
        case "mse_loss": return .single(MSELoss(reduction: reduction))
        case "l1_loss": return .single(L1Loss(reduction: reduction))
        case "smooth_l1_loss": return .single(SmoothL1Loss(reduction: reduction, beta: args.double("beta", 1)))
        case "huber_loss": return .single(HuberLoss(reduction: reduction, delta: args.double("delta", 1)))
        case "bce_loss": return .single(BCELoss(weight: tensors["weight"], reduction: reduction))
        case "bce_with_logits_loss":
            return .single(BCEWithLogitsLoss(weight: tensors["weight"], reduction: reduction, posWeight: tensors["pos_weight"]))
        case "kl_div_loss":
            return .single(KLDivLoss(reduction: KLDivLoss.Reduction(rawValue: name) ?? .mean, logTarget: args.bool("log_target")))
        case "cross_entropy_loss":
            return .single(CrossEntropyLoss(weight: tensors["weight"], ignoreIndex: args.int("ignore_index", -100), reduction: reduction,
                                            labelSmoothing: args.double("label_smoothing", 0)))
        case "nll_loss":
            return .single(NLLLoss(weight: tensors["weight"], ignoreIndex: args.int("ignore_index", -100), reduction: reduction))
        case "cosine_embedding_loss": return .pairwise(CosineEmbeddingLoss(margin: args.double("margin", 0), reduction: reduction))
        case "margin_ranking_loss": return .pairwise(MarginRankingLoss(margin: args.double("margin", 0), reduction: reduction))
        default: throw NNFixtureError.unsupported("loss \(type)")
        }
    }

    func testLossesMatchPyTorch() throws {
        var checked = Set<String>()
        for c in try NNFixture.cases("losses") {
            let type = c["type"] as? String ?? ""
            let label = "\(type) \(c["args"] ?? "")"
            var tensorArgs: [String: Tensor] = [:]
            for (k, v) in c["tensor_args"] as? [String: Any] ?? [:] { tensorArgs[k] = try NNFixture.tensor(v) }
            let inputs = try NNFixture.tensors(c["inputs"])
            let expectedGrads = c["grads"] as? [Any] ?? []
            for (x, g) in zip(inputs, expectedGrads) where !(g is NSNull) { x.requiresGrad = true }
            let out: Tensor
            switch try Self.makeLoss(type, FixtureArgs(c["args"]), tensors: tensorArgs) {
            case let .single(loss):
                XCTAssertEqual(loss.typeName, type)
                out = try loss(inputs[0], inputs[1])
            case let .pairwise(loss):
                XCTAssertEqual(loss.typeName, type)
                out = try loss(inputs[0], inputs[1], inputs[2])
            }
            assertClose(out, try NNFixture.tensor(c["output"]), rtol: 1e-4, atol: 1e-5, "\(label): value")
            try (out * NNFixture.tensor(c["weight"])).sum().backward()
            for (i, (x, g)) in zip(inputs, expectedGrads).enumerated() where !(g is NSNull) {
                guard let grad = x.grad else { XCTFail("\(label): no gradient for input \(i)"); continue }
                assertClose(grad, try NNFixture.tensor(g), rtol: 1e-4, atol: 1e-5, "\(label): gradient of input \(i)")
            }
            checked.insert(type)
        }
        XCTAssertEqual(checked.count, 11)
    }

    func testShapeMismatchesNameTheLossAndShapes() {
        XCTAssertThrowsError(try MSELoss()(Tensor.zeros([4, 1]), Tensor.zeros([4]))) { error in
            XCTAssertEqual("\(error)", "mse_loss: shapes [4, 1] and [4] are not compatible (input and target must have the same shape)")
        }
        XCTAssertThrowsError(try NLLLoss()(Tensor.zeros([3, 2]), Tensor([Int64(0), 5, 1]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("nll_loss:"), "\(error)")
        }
        XCTAssertThrowsError(try BCELoss()(Tensor.full([2], 1.5), Tensor.zeros([2]))) { error in
            XCTAssertTrue("\(error)".contains("between 0 and 1"), "\(error)")
        }
    }
}

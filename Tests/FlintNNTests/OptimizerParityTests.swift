import XCTest
import FlintNN

/// Each optimizer takes 20 steps from PyTorch's initial parameters with
/// PyTorch's gradients; parameters must stay within 1e-5 relative of
/// PyTorch's after every step, and the state must carry PyTorch's names.
final class OptimizerParityTests: XCTestCase {
    /// Builds the optimizer a fixture case describes, through the per-group constructor.
    static func makeOptimizer(_ type: String, _ args: FixtureArgs, groups: [ParamGroupSpec]) throws -> Optimizer {
        let betas = args.pair("betas", (0.9, 0.999))
        let wd = args.optDouble("weight_decay"), maximize = args.bool("maximize")
        switch type {
        case "sgd":
            return try SGD(paramGroups: groups, lr: args.double("lr", 1e-3), momentum: args.double("momentum", 0),
                           dampening: args.double("dampening", 0), weightDecay: wd ?? 0, nesterov: args.bool("nesterov"),
                           maximize: maximize)
        case "adam":
            return try Adam(paramGroups: groups, lr: args.double("lr", 1e-3), betas: betas, eps: args.double("eps", 1e-8),
                            weightDecay: wd ?? 0, amsgrad: args.bool("amsgrad"), maximize: maximize)
        case "adamw":
            return try AdamW(paramGroups: groups, lr: args.double("lr", 1e-3), betas: betas, eps: args.double("eps", 1e-8),
                             weightDecay: wd ?? 1e-2, amsgrad: args.bool("amsgrad"), maximize: maximize)
        case "rmsprop":
            return try RMSprop(paramGroups: groups, lr: args.double("lr", 1e-2), alpha: args.double("alpha", 0.99),
                               eps: args.double("eps", 1e-8), weightDecay: wd ?? 0, momentum: args.double("momentum", 0),
                               centered: args.bool("centered"), maximize: maximize)
        case "adagrad":
            return try Adagrad(paramGroups: groups, lr: args.double("lr", 1e-2), lrDecay: args.double("lr_decay", 0),
                               weightDecay: wd ?? 0, initialAccumulatorValue: args.double("initial_accumulator_value", 0),
                               eps: args.double("eps", 1e-10), maximize: maximize)
        case "adadelta":
            return try Adadelta(paramGroups: groups, lr: args.double("lr", 1), rho: args.double("rho", 0.9),
                                eps: args.double("eps", 1e-6), weightDecay: wd ?? 0, maximize: maximize)
        case "adamax":
            return try Adamax(paramGroups: groups, lr: args.double("lr", 2e-3), betas: betas, eps: args.double("eps", 1e-8),
                              weightDecay: wd ?? 0, maximize: maximize)
        case "nadam":
            return try NAdam(paramGroups: groups, lr: args.double("lr", 2e-3), betas: betas, eps: args.double("eps", 1e-8),
                             weightDecay: wd ?? 0, momentumDecay: args.double("momentum_decay", 4e-3),
                             decoupledWeightDecay: args.bool("decoupled_weight_decay"), maximize: maximize)
        case "radam":
            return try RAdam(paramGroups: groups, lr: args.double("lr", 1e-3), betas: betas, eps: args.double("eps", 1e-8),
                             weightDecay: wd ?? 0, decoupledWeightDecay: args.bool("decoupled_weight_decay"), maximize: maximize)
        default:
            throw NNFixtureError.unsupported("optimizer \(type)")
        }
    }

    /// A group's overrides in Flint's option names (`betas` is `beta1`, `beta2`; booleans are 0/1).
    static func overrides(_ json: Any?) -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, v) in json as? [String: Any] ?? [:] {
            if k == "betas", let b = v as? [Double], b.count == 2 {
                out["beta1"] = b[0]
                out["beta2"] = b[1]
            } else if let flag = v as? Bool {
                out[k] = flag ? 1 : 0
            } else if let d = v as? Double ?? (v as? Int).map(Double.init) {
                out[k] = d
            }
        }
        return out
    }

    func testOptimizersMatchPyTorchFor20Steps() throws {
        var checked = 0
        for c in try NNFixture.cases("optim") {
            guard let type = c["type"] as? String, !type.hasPrefix("clip_") else { continue }
            let args = FixtureArgs(c["args"])
            let params = try NNFixture.tensors(c["params"]).map { $0.requiringGrad() }
            let groupJSON = c["groups"] as? [Any]
            let groups = groupJSON.map { g in zip(params, g).map { ParamGroupSpec(params: [$0], overrides: Self.overrides($1)) } }
                ?? [ParamGroupSpec(params: params)]
            let label = "\(type) \(c["args"] ?? "") groups \(groupJSON.map { "\($0)" } ?? "-")"
            let optimizer = try Self.makeOptimizer(type, args, groups: groups)
            XCTAssertEqual(optimizer.typeName, type)
            guard let grads = c["grads"] as? [Any], let expected = c["expected"] as? [Any] else { throw NNFixtureError.malformed(label) }
            for (step, (g, e)) in zip(grads, expected).enumerated() {
                for (p, grad) in zip(params, try NNFixture.tensors(g)) { p.grad = grad }
                try optimizer.step()
                for (i, (p, want)) in zip(params, try NNFixture.tensors(e)).enumerated() {
                    assertClose(p, want, rtol: 1e-5, atol: 1e-6, "\(label): param \(i) after step \(step + 1)")
                }
            }
            // State names and values as PyTorch's `optimizer.state[p]`.
            let saved = Dictionary(uniqueKeysWithValues: optimizer.stateDict().map { ($0.name, $0.tensor) })
            for (i, entry) in (c["state"] as? [[String: Any]] ?? []).enumerated() {
                for (name, value) in entry {
                    guard let mine = saved["state.\(i).\(name)"] else {
                        XCTFail("\(label): no state '\(name)' for param \(i); have \(saved.keys.sorted())")
                        continue
                    }
                    assertClose(mine, try NNFixture.tensor(value), rtol: 1e-4, atol: 1e-6, "\(label): state \(i).\(name)")
                }
                let extra = saved.keys.filter { $0.hasPrefix("state.\(i).") && entry[String($0.dropFirst("state.\(i).".count))] == nil }
                XCTAssertEqual(extra, [], "\(label): state PyTorch does not have")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 35)
    }

    func testGradientClippingMatchesPyTorch() throws {
        var checked = 0
        for c in try NNFixture.cases("optim") {
            guard let type = c["type"] as? String, type.hasPrefix("clip_") else { continue }
            let args = FixtureArgs(c["args"])
            let params = try NNFixture.tensors(c["params"])
            guard let grads = (c["grads"] as? [Any])?.first else { throw NNFixtureError.malformed(type) }
            for (p, g) in zip(params, try NNFixture.tensors(grads)) { p.grad = g }
            if type == "clip_grad_norm" {
                let normType = args.string("norm_type", "") == "inf" ? Double.infinity : args.double("norm_type", 2)
                let total = try ClipGrad.clipGradNorm(params, maxNorm: args.double("max_norm", 1), normType: normType)
                let want = try XCTUnwrap(c["total_norm"] as? Double)
                XCTAssertEqual(total, want, accuracy: 1e-5 * Swift.max(1, Swift.abs(want)), "\(type) \(args.raw)")
            } else {
                try ClipGrad.clipGradValue(params, clipValue: args.double("clip_value", 1))
            }
            for (i, (p, want)) in zip(params, try NNFixture.tensors(c["clipped"])).enumerated() {
                guard let g = p.grad else { XCTFail("\(type): grad \(i) vanished"); continue }
                assertClose(g, want, rtol: 1e-5, atol: 1e-7, "\(type) \(args.raw): grad \(i)")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 6)
    }

    func testPerGroupConstructorRejectsUnknownOptionsAndBadValues() throws {
        let p = try Tensor.zeros([2]).requiringGrad()
        XCTAssertThrowsError(try Adam(paramGroups: [ParamGroupSpec(params: [p], overrides: ["momentum": 0.9])])) { error in
            XCTAssertTrue("\(error)".contains("unknown option 'momentum'"), "\(error)")
        }
        XCTAssertThrowsError(try SGD(paramGroups: [ParamGroupSpec(params: [p])], lr: -0.1)) { error in
            XCTAssertTrue("\(error)".contains("lr"), "\(error)")
        }
        XCTAssertThrowsError(try Adam(paramGroups: [ParamGroupSpec(params: [p])], betas: (1.0, 0.9)))
        XCTAssertThrowsError(try SGD(paramGroups: [ParamGroupSpec(params: [p])], nesterov: true))
    }

    func testStateDictRoundTripsThroughLoad() throws {
        let p = try Tensor([Float(1), 2, 3]).requiringGrad()
        let adam = Adam(params: [p], lr: 0.1, amsgrad: true)
        p.grad = try Tensor([Float(0.5), -1, 2])
        try adam.step()
        let saved = Dictionary(uniqueKeysWithValues: adam.stateDict().map { ($0.name, $0.tensor) })
        XCTAssertEqual(Set(saved.keys), ["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq"])
        let q = try Tensor([Float(1), 2, 3]).requiringGrad()
        let restored = Adam(params: [q], lr: 0.1, amsgrad: true)
        try restored.loadStateDict(saved)
        q.grad = p.grad
        try p.copyFrom(q)
        try adam.step()
        try restored.step()
        assertClose(q, p, rtol: 0, atol: 0, "params after a step from restored state")
    }
}

import XCTest
import FlintNN

/// Each optimizer takes 20 steps from PyTorch's initial parameters with
/// PyTorch's gradients; parameters must stay within 1e-5 relative of
/// PyTorch's after every step, and the state must carry PyTorch's names.
final class OptimizerParityTests: XCTestCase {
    /// Builds the optimizer a fixture case describes, through the per-group constructor:
    /// PyTorch's defaults (the options' initialisers), the case's arguments, then each group's.
    static func makeOptimizer(_ type: String, _ args: Any?, params: [Tensor], groups: [Any]?) throws -> Optimizer {
        switch type {
        case "sgd": return try make(SGD.self, SGDOptions(), args, params, groups)
        case "adam": return try make(Adam.self, AdamOptions(), args, params, groups)
        case "adamw": return try make(AdamW.self, AdamWOptions(), args, params, groups)
        case "rmsprop": return try make(RMSprop.self, RMSpropOptions(), args, params, groups)
        case "adagrad": return try make(Adagrad.self, AdagradOptions(), args, params, groups)
        case "adadelta": return try make(Adadelta.self, AdadeltaOptions(), args, params, groups)
        case "adamax": return try make(Adamax.self, AdamaxOptions(), args, params, groups)
        case "nadam": return try make(NAdam.self, NAdamOptions(), args, params, groups)
        case "radam": return try make(RAdam.self, RAdamOptions(), args, params, groups)
        default: throw NNFixtureError.unsupported("optimizer \(type)")
        }
    }

    /// One group per parameter when the case has `groups`, else one group of all.
    private static func make<O: OptimizerOptions>(_ type: TypedOptimizer<O>.Type, _ start: O, _ args: Any?, _ params: [Tensor],
                                                  _ groups: [Any]?) throws -> Optimizer {
        let defaults = try apply(args, to: start)
        let typed = try groups.map { json in
            try zip(params, json).map { OptimizerGroup(params: [$0], options: try apply($1, to: defaults)) }
        } ?? [OptimizerGroup(params: params, options: defaults)]
        return try type.init(groups: typed, defaults: defaults)
    }

    /// PyTorch's keyword arguments (JSON) over `options`; an argument the options lack is an error.
    static func apply<O: OptimizerOptions>(_ json: Any?, to options: O) throws -> O {
        var out = options
        let values = json as? [String: Any] ?? [:]
        for field in O.fields {
            guard let value = values[field.name] else { continue }
            switch field {
            case .number(_, let path): out[keyPath: path] = try XCTUnwrap(value as? Double ?? (value as? Int).map(Double.init))
            case .flag(_, let path): out[keyPath: path] = try XCTUnwrap(value as? Bool)
            case .pair(_, let path):
                let pair = try XCTUnwrap(value as? [Double])
                out[keyPath: path] = (pair[0], pair[1])
            }
        }
        let unknown = Set(values.keys).subtracting(O.fields.map(\.name))
        XCTAssertEqual(unknown, [], "\(O.self) has no option for these arguments")
        return out
    }

    func testOptimizersMatchPyTorchFor20Steps() throws {
        var checked = 0
        for c in try NNFixture.cases("optim") {
            guard let type = c["type"] as? String, !type.hasPrefix("clip_") else { continue }
            let params = try NNFixture.tensors(c["params"]).map { $0.requiringGrad() }
            let groupJSON = c["groups"] as? [Any]
            let label = "\(type) \(c["args"] ?? "") groups \(groupJSON.map { "\($0)" } ?? "-")"
            let optimizer = try Self.makeOptimizer(type, c["args"], params: params, groups: groupJSON)
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

    func testConstructorsRejectBadValuesAsPyTorchDoes() throws {
        let p = try Tensor.zeros([2]).requiringGrad()
        XCTAssertThrowsError(try SGD(params: [p], options: SGDOptions(lr: -0.1))) { error in
            XCTAssertTrue("\(error)".contains("invalid lr value: -0.1"), "\(error)")
        }
        XCTAssertThrowsError(try Adam(params: [p], options: AdamOptions(betas: (1.0, 0.9)))) { error in
            XCTAssertTrue("\(error)".contains("beta1"), "\(error)")
        }
        XCTAssertThrowsError(try SGD(params: [p], options: SGDOptions(nesterov: true)))
        XCTAssertThrowsError(try Adadelta(params: [p], options: AdadeltaOptions(rho: 1.5)))
        // A group's own bad value names the group.
        let groups = [OptimizerGroup(params: [p], options: RMSpropOptions(alpha: -1))]
        XCTAssertThrowsError(try RMSprop(groups: groups, defaults: RMSpropOptions())) { error in
            XCTAssertTrue("\(error)".contains("parameter group 0: invalid alpha value"), "\(error)")
        }
    }

    /// Every stored option is named in `fields` (what specs and fixtures read), and PyTorch's
    /// momentum-like option is the one OneCycleLR cycles.
    func testEveryOptionIsNamedForReaders() throws {
        func check<O: OptimizerOptions>(_ options: O, momentum: String?) {
            XCTAssertEqual(Mirror(reflecting: options).children.count, O.fields.count, "\(O.self): an option without a name")
            XCTAssertEqual(Set(O.fields.map(\.name)).count, O.fields.count, "\(O.self): a name used twice")
            XCTAssertEqual(options.cycledMomentum != nil, momentum != nil, "\(O.self)")
        }
        check(SGDOptions(), momentum: "momentum")
        check(AdamOptions(), momentum: "betas")
        check(AdamWOptions(), momentum: "betas")
        check(AdamaxOptions(), momentum: "betas")
        check(NAdamOptions(), momentum: "betas")
        check(RAdamOptions(), momentum: "betas")
        check(RMSpropOptions(), momentum: "momentum")
        check(AdagradOptions(), momentum: nil)
        check(AdadeltaOptions(), momentum: nil)
    }

    func testStateDictRoundTripsThroughLoad() throws {
        let p = try Tensor([Float(1), 2, 3]).requiringGrad()
        let adam = try Adam(params: [p], options: AdamOptions(lr: 0.1, amsgrad: true))
        p.grad = try Tensor([Float(0.5), -1, 2])
        try adam.step()
        let saved = Dictionary(uniqueKeysWithValues: adam.stateDict().map { ($0.name, $0.tensor) })
        XCTAssertEqual(Set(saved.keys), ["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq"])
        let q = try Tensor([Float(1), 2, 3]).requiringGrad()
        let restored = try Adam(params: [q], options: AdamOptions(lr: 0.1, amsgrad: true))
        try restored.loadStateDict(saved)
        q.grad = p.grad
        try p.copyFrom(q)
        try adam.step()
        try restored.step()
        assertClose(q, p, rtol: 0, atol: 0, "params after a step from restored state")
    }
}

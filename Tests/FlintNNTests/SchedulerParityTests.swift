import XCTest
import FlintNN

/// Each scheduler runs 20 steps on a two-group optimizer; the rate of every
/// group after construction and after each step must equal PyTorch's, and
/// OneCycleLR's momentum (or beta1) too.
final class SchedulerParityTests: XCTestCase {
    static func makeScheduler(_ type: String, _ args: FixtureArgs, children: [Any]?, optimizer: Optimizer) throws -> LRScheduler {
        switch type {
        case "step_lr":
            return StepLR(optimizer: optimizer, stepSize: args.int("step_size", 1), gamma: args.double("gamma", 0.1))
        case "multi_step_lr":
            return MultiStepLR(optimizer: optimizer, milestones: args.ints("milestones") ?? [], gamma: args.double("gamma", 0.1))
        case "exponential_lr":
            return ExponentialLR(optimizer: optimizer, gamma: args.double("gamma", 0.1))
        case "cosine_annealing_lr":
            return CosineAnnealingLR(optimizer: optimizer, tMax: args.int("T_max", 1), etaMin: args.double("eta_min", 0))
        case "cosine_annealing_warm_restarts":
            return try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: args.int("T_0", 1), tMult: args.int("T_mult", 1),
                                                   etaMin: args.double("eta_min", 0))
        case "linear_lr":
            return try LinearLR(optimizer: optimizer, startFactor: args.double("start_factor", 1.0 / 3),
                                endFactor: args.double("end_factor", 1), totalIters: args.int("total_iters", 5))
        case "constant_lr":
            return try ConstantLR(optimizer: optimizer, factor: args.double("factor", 1.0 / 3), totalIters: args.int("total_iters", 5))
        case "polynomial_lr":
            return try PolynomialLR(optimizer: optimizer, totalIters: args.int("total_iters", 5), power: args.double("power", 1))
        case "one_cycle_lr":
            return try OneCycleLR(optimizer: optimizer, maxLR: args.doubles("max_lr") ?? [], totalSteps: args.optInt("total_steps"),
                                  pctStart: args.double("pct_start", 0.3),
                                  annealStrategy: args.string("anneal_strategy", "cos") == "cos" ? .cos : .linear,
                                  threePhase: args.bool("three_phase"))
        case "reduce_lr_on_plateau":
            return try ReduceLROnPlateau(optimizer: optimizer, mode: args.string("mode", "min") == "min" ? .min : .max,
                                         factor: args.double("factor", 0.1), patience: args.int("patience", 10),
                                         threshold: args.double("threshold", 1e-4),
                                         thresholdMode: args.string("threshold_mode", "rel") == "rel" ? .rel : .abs,
                                         cooldown: args.int("cooldown", 0), minLR: args.doubles("min_lr") ?? [0])
        case "sequential_lr":
            let made = try (children ?? []).map { child -> LRScheduler in
                let c = child as? [String: Any] ?? [:]
                return try makeScheduler(c["type"] as? String ?? "", FixtureArgs(c["args"]), children: nil, optimizer: optimizer)
            }
            return try SequentialLR(optimizer: optimizer, schedulers: made, milestones: args.ints("milestones") ?? [])
        default:
            throw NNFixtureError.unsupported("scheduler \(type)")
        }
    }

    func testSchedulersMatchPyTorchRatesAtEveryStep() throws {
        var checked = 0
        for c in try NNFixture.cases("schedulers") {
            let type = c["type"] as? String ?? ""
            let label = "\(type) \(c["args"] ?? "")"
            let lrs = try XCTUnwrap(c["group_lrs"] as? [Double])
            let params = try lrs.map { _ in try Tensor.zeros([2]).requiringGrad() }
            let optimizer: Optimizer = c["optimizer"] as? String == "adam"
                ? try Adam(groups: zip(params, lrs).map { OptimizerGroup(params: [$0], options: AdamOptions(lr: $1)) }, defaults: AdamOptions())
                : try SGD(groups: zip(params, lrs).map { OptimizerGroup(params: [$0], options: SGDOptions(lr: $1, momentum: 0.9)) },
                          defaults: SGDOptions(momentum: 0.9))
            let scheduler = try Self.makeScheduler(type, FixtureArgs(c["args"]), children: c["children"] as? [Any], optimizer: optimizer)
            XCTAssertEqual(scheduler.typeName, type)
            let expected = try XCTUnwrap(c["lrs"] as? [[Double]])
            let momenta = try XCTUnwrap(c["momenta"] as? [[Double]])
            let metrics = c["metrics"] as? [Double]
            let momentumName = c["optimizer"] as? String == "adam" ? "beta1" : "momentum"
            for step in 0..<expected.count {
                if step > 0 {
                    if let metrics { scheduler.step(metric: metrics[step - 1]) } else { scheduler.step() }
                }
                let rates = optimizer.paramGroups.map { $0.lr }
                for (g, (mine, want)) in zip(rates, expected[step]).enumerated() {
                    // Same formulas in double precision: equal up to libm's last bit.
                    XCTAssertEqual(mine, want, accuracy: 1e-15 * Swift.max(Swift.abs(want), 1e-300), "\(label): group \(g) after step \(step)")
                }
                XCTAssertEqual(scheduler.lastLRs, rates, "\(label): get_last_lr after step \(step)")
                for (g, want) in momenta[step].enumerated() {
                    XCTAssertEqual(optimizer.paramGroups[g].momentum ?? .nan, want, accuracy: 1e-15,
                                   "\(label): group \(g) \(momentumName) after step \(step)")
                }
            }
            checked += 1
        }
        XCTAssertEqual(checked, 17)
    }

    func testStateRestoresTheScheduleMidway() throws {
        func make() throws -> (Optimizer, LRScheduler) {
            let opt = try SGD(params: [try Tensor.zeros([1]).requiringGrad()], options: SGDOptions(lr: 0.1))
            let warm = try LinearLR(optimizer: opt, startFactor: 0.1, totalIters: 3)
            let decay = CosineAnnealingLR(optimizer: opt, tMax: 10)
            return (opt, try SequentialLR(optimizer: opt, schedulers: [warm, decay], milestones: [3]))
        }
        let (a, sa) = try make()
        for _ in 0..<5 { sa.step() }
        let (b, sb) = try make()
        sb.restore(sa.state)
        XCTAssertEqual(b.lr, a.lr)
        for _ in 0..<4 {
            sa.step()
            sb.step()
            XCTAssertEqual(b.lr, a.lr)
        }
    }

    func testBadArgumentsAreErrorsNamingTheScheduler() throws {
        let opt = try SGD(params: [try Tensor.zeros([1]).requiringGrad()], options: SGDOptions(lr: 0.1))
        XCTAssertThrowsError(try LinearLR(optimizer: opt, startFactor: 0)) { XCTAssertTrue("\($0)".hasPrefix("linear_lr:"), "\($0)") }
        XCTAssertThrowsError(try OneCycleLR(optimizer: opt, maxLR: [0.1])) { XCTAssertTrue("\($0)".contains("total_steps"), "\($0)") }
        XCTAssertThrowsError(try OneCycleLR(optimizer: Adagrad(params: [Tensor.zeros([1]).requiringGrad()], options: AdagradOptions()), maxLR: [0.1], totalSteps: 5))
        XCTAssertThrowsError(try SequentialLR(optimizer: opt, schedulers: [ExponentialLR(optimizer: opt, gamma: 0.5)], milestones: [2]))
        XCTAssertThrowsError(try ReduceLROnPlateau(optimizer: opt, factor: 1.5))
    }
}

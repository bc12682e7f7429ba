import XCTest
import FlintNN

/// Default initialisation matches PyTorch's distributions: every parameter of
/// a freshly made layer has the name and shape PyTorch gives it, and its
/// spread and range match a PyTorch-initialised one of the same size.
final class InitTests: XCTestCase {
    func testDefaultInitialisationMatchesPyTorchStatistics() throws {
        var checked = 0
        for c in try NNFixture.cases("layers") {
            guard let stats = c["init"] as? [String: [String: Any]] else { continue }
            let type = c["type"] as? String ?? ""
            let module = try LayerFactory.make(type, FixtureArgs(c["args"]), generator: Generator(seed: 7))
            let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
            XCTAssertEqual(Set(params.keys), Set(stats.keys), "\(type): parameter names")
            for (name, s) in stats {
                guard let p = params[name] else { continue }
                XCTAssertEqual(p.shape, s["shape"] as? [Int], "\(type).\(name): shape")
                let v = p.toArray(Double.self)
                let mean = v.reduce(0, +) / Double(v.count)
                let std = v.count > 1 ? (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : 0
                let wantStd = s["std"] as? Double ?? 0, wantMin = s["min"] as? Double ?? 0, wantMax = s["max"] as? Double ?? 0
                let label = "\(type).\(name) (\(v.count) values)"
                if wantStd == 0 && v.count > 1 {
                    // Constant initialisers (ones, zeros) must agree exactly.
                    XCTAssertEqual(v.min(), wantMin, label)
                    XCTAssertEqual(v.max(), wantMax, label)
                    continue
                }
                // Sampling noise of the standard deviation shrinks as 1/√n.
                let tolerance = v.count >= 1000 ? 0.1 : (v.count >= 100 ? 0.2 : 0.4)
                if v.count > 1 {
                    XCTAssertEqual(std / wantStd, 1, accuracy: tolerance, "\(label): std \(std), PyTorch's \(wantStd)")
                    XCTAssertEqual(mean, s["mean"] as? Double ?? 0, accuracy: 3 * wantStd / Double(v.count).squareRoot() + 0.05 * wantStd, "\(label): mean")
                }
                let range = Swift.max(Swift.abs(wantMin), Swift.abs(wantMax)), mine = v.map(Swift.abs).max() ?? 0
                XCTAssertLessThanOrEqual(mine, range * (1 + tolerance) + 1e-12, "\(label): largest |value|")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 15)
    }

    /// `Init.filling`: built without drawing, every layer of the fixtures has the parameters and
    /// shapes that drawing gives, and neither its generator nor the default one moved. `.zeros`
    /// holds zeros where drawing would draw; `.shapeOnly` holds no more memory than one value.
    func testLayersBuiltWithoutDrawingHaveTheShapesOfDrawnOnesAndDrawNothing() throws {
        var checked = 0
        for c in try NNFixture.cases("layers") {
            guard let stats = c["init"] as? [String: [String: Any]] else { continue }
            let type = c["type"] as? String ?? ""
            let drawn = try LayerFactory.make(type, FixtureArgs(c["args"]), generator: Generator(seed: 7))
            for mode in [Init.Filling.zeros, .shapeOnly] {
                let generator = Generator(seed: 7), defaultState = Generator.default.snapshot
                let built = try Init.withFilling(mode) { try LayerFactory.make(type, FixtureArgs(c["args"]), generator: generator) }
                XCTAssertEqual(generator.snapshot, Generator(seed: 7).snapshot, "\(type) \(mode): drew from its generator")
                XCTAssertEqual(Generator.default.snapshot, defaultState, "\(type) \(mode): drew from the default generator")
                XCTAssertEqual(built.namedParameters().map(\.name), drawn.namedParameters().map(\.name), "\(type) \(mode)")
                for ((name, p), (_, d)) in zip(built.namedParameters(), drawn.namedParameters()) {
                    XCTAssertEqual(p.shape, d.shape, "\(type).\(name) \(mode)")
                    guard (stats[name]?["std"] as? Double ?? 0) > 0 else { continue }
                    switch mode {
                    case .zeros: XCTAssertEqual(Set(p.toArray(Double.self)), [0], "\(type).\(name)")
                    case .shapeOnly: XCTAssertLessThanOrEqual(p.storage.byteCount, 8, "\(type).\(name)")
                    case .drawn: break
                    }
                }
            }
            checked += 1
        }
        XCTAssertEqual(checked, 15)
        // A table of 2^29 values: 2 GiB if drawn, nothing held as a stand-in.
        let table = try Init.withFilling(.shapeOnly) { try Embedding(numEmbeddings: 1 << 27, embeddingDim: 4) }
        XCTAssertEqual(table.parameterCount, 1 << 29)
        XCTAssertLessThanOrEqual(table.parameter("weight")?.storage.byteCount ?? .max, 8)
    }

    func testInitialisersFollowPyTorchGainAndFan() throws {
        XCTAssertEqual(try Init.gain("relu"), 2.0.squareRoot())
        XCTAssertEqual(try Init.gain("tanh"), 5.0 / 3)
        XCTAssertEqual(try Init.gain("leaky_relu", param: 0.2), (2 / 1.04).squareRoot(), accuracy: 1e-15)
        XCTAssertThrowsError(try Init.gain("swish"))
        XCTAssertTrue(Init.fans([16, 8, 3, 3]) == (72, 144))
        let g = Generator(seed: 3)
        // U(±gain·√(3/fan)) has std gain/√fan; fan_out for the same shape.
        let w = try Init.kaimingUniform([400, 100], mode: .fanOut, nonlinearity: "relu", generator: g)
        XCTAssertLessThanOrEqual(w.toArray(Double.self).map(Swift.abs).max() ?? 1, (2.0 * 3 / 400).squareRoot())
        let n = try Init.kaimingNormal([400, 100], generator: g).toArray(Double.self)
        XCTAssertEqual(std(n), (2.0 / 100).squareRoot(), accuracy: 0.01)
        let x = try Init.xavierNormal([300, 200], gain: 2, generator: g).toArray(Double.self)
        XCTAssertEqual(std(x), 2 * (2.0 / 500).squareRoot(), accuracy: 0.005)
        let t = try Init.truncNormal([5000], mean: 1, std: 2, a: 0, b: 1.5, generator: g).toArray(Double.self)
        XCTAssertTrue(t.allSatisfy { $0 >= 0 && $0 <= 1.5 })
        XCTAssertThrowsError(try Init.truncNormal([3], mean: 0, std: 1, a: 50, b: 60))
        // Rows of an orthogonal init are orthonormal (times the gain).
        let q = try Init.orthogonal([3, 5], gain: 2, generator: g)
        let gram = try q.matmul(q.t()).toArray(Double.self)
        for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(gram[i * 3 + j], i == j ? 4 : 0, accuracy: 1e-5) } }
        XCTAssertThrowsError(try Init.xavierUniform([4]))
    }

    private func std(_ v: [Double]) -> Double {
        let m = v.reduce(0, +) / Double(v.count)
        return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }
}

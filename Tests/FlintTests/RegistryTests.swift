import XCTest
@testable import Flint

final class RegistryTests: XCTestCase {
    /// Ops checked by hand-written tests instead of PyTorch fixtures (random ops, views used by the harness).
    static let testedByHand: Set<String> = [
        "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli", "multinomial",
        "dropout2d", "slice",
    ]

    func testRegistryListsOverTwoHundredUniqueOps() {
        XCTAssertGreaterThanOrEqual(allOps.count, 200)
        XCTAssertEqual(Set(allOps.map(\.name)).count, allOps.count, "duplicate names")
        XCTAssertEqual(allOps.map(\.name), allOps.map(\.name).sorted())
        XCTAssertTrue(allOps.allSatisfy { !$0.dtypes.isEmpty })
    }

    func testRegistryEncodesToTheJSONOfFlintOps() throws {
        let data = try JSONEncoder().encode([allOps[0]])
        let decoded = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(Set(decoded[0].keys), ["name", "differentiable", "dtypes"])
        XCTAssertEqual(decoded[0]["name"] as? String, allOps[0].name)
        XCTAssertEqual(decoded[0]["dtypes"] as? [String], allOps[0].dtypes.map(\.rawValue))
    }

    func testEveryRegisteredOpIsExercisedAndEveryFixtureOpIsRegistered() throws {
        var fixtureOps = Set<String>()
        for family in Fixtures.families { for c in try Fixtures.load(family) { fixtureOps.insert(c.op) } }
        let registered = Set(allOps.map(\.name))
        let unexercised = registered.subtracting(fixtureOps).subtracting(Self.testedByHand)
        XCTAssertTrue(unexercised.isEmpty, "registered but never tested: \(unexercised.sorted())")
        let unregistered = fixtureOps.subtracting(registered)
        XCTAssertTrue(unregistered.isEmpty, "tested but not registered: \(unregistered.sorted())")
    }

    func testDifferentiabilityMatchesTheFixtures() throws {
        // An op is differentiable exactly when PyTorch produced gradients for one of its cases.
        var withGradients = Set<String>()
        for family in Fixtures.families {
            for c in try Fixtures.load(family) where c.grads.contains(where: { $0 != nil }) { withGradients.insert(c.op) }
        }
        for op in allOps where !Self.testedByHand.contains(op.name) {
            XCTAssertEqual(op.differentiable, withGradients.contains(op.name), op.name)
        }
    }
}

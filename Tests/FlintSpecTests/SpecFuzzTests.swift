import Foundation
import XCTest
@testable import FlintSpec
import FlintTestSupport

/// Feeds mutated specs to the decoder: none may trap or hang, and each must give either
/// a spec or diagnostics that point inside the text (or at an override).
final class SpecFuzzTests: XCTestCase {
    private static let seeds: [String] = [
        mlpSpec,
        mlpSpec(replacing: 15, with: """
            - {type: conv2d, out_channels: 16, kernel_size: 5, padding: 2, name: c1}
            - {type: batch_norm2d}
            - {type: max_pool2d, kernel_size: [2, 2], stride: 2}
            - {type: dropout, p: 0.25}
            - {type: add, inputs: [c1, c1]}
            - {type: flatten}
        """) + "\nscheduler: {type: cosine_annealing_lr, T_max: ${train.epochs}}\n",
    ] + shippedSpecs

    /// The specs of models/ with graphs, blocks and sequence layers, as they ship.
    private static let shippedSpecs: [String] = ["mnist_resnet", "mnist_lstm", "mnist_cnn"].compactMap { name in
        try? String(contentsOf: Repository.root.appendingPathComponent("models/\(name).yaml"), encoding: .utf8)
    }

    /// Characters YAML gives meaning to, more likely than random text to reach odd paths.
    private static let punctuation: [UInt8] = Array("{}[]:,-#&*!|>'\"%@`?~$\t\\ \n".utf8) + [0, 0xC3, 0xFF]

    private func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var lines = text.components(separatedBy: "\n")
        var bytes = Array(text.utf8)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where lines.count > 1:
            lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
            return lines.joined(separator: "\n")
        case 1 where lines.count > 1:
            lines.swapAt(Int.random(in: 0..<lines.count, using: &rng), Int.random(in: 0..<lines.count, using: &rng))
            return lines.joined(separator: "\n")
        case 2 where lines.count > 1:
            lines.insert(lines[Int.random(in: 0..<lines.count, using: &rng)], at: Int.random(in: 0..<lines.count, using: &rng))
            return lines.joined(separator: "\n")
        case 3 where !bytes.isEmpty:
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        case 4 where !bytes.isEmpty:
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let byte = Self.punctuation[Int.random(in: 0..<Self.punctuation.count, using: &rng)]
                bytes.insert(byte, at: Int.random(in: 0...bytes.count, using: &rng))
            }
        case 5 where !bytes.isEmpty:
            bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
        default:
            // Swap two values: the text after ':' on two lines.
            let valued = lines.indices.filter { lines[$0].contains(": ") }
            guard valued.count > 1 else { return text }
            let (a, b) = (valued.randomElement(using: &rng) ?? 0, valued.randomElement(using: &rng) ?? 0)
            let split: (String) -> (Substring, Substring) = { line in
                let colon = line.range(of: ": ") ?? line.startIndex..<line.startIndex
                return (line[..<colon.upperBound], line[colon.upperBound...])
            }
            let (keyA, valueA) = split(lines[a])
            let (keyB, valueB) = split(lines[b])
            lines[a] = String(keyA + valueB)
            lines[b] = String(keyB + valueA)
            return lines.joined(separator: "\n")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testMutatedSpecsNeverTrap() {
        var rng = SplitMix64(state: 20_241_126)
        var outcomes = (specs: 0, failures: 0)
        for iteration in 0..<600 {
            var text = Self.seeds[iteration % Self.seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { text = mutate(text, &rng) }
            let overrides = iteration % 5 == 0 ? ["optimizer.lr=0.01", "model.layers.1~"] : []
            let lineCount = text.components(separatedBy: "\n").count
            do {
                let spec = try Spec.parse(yaml: text, file: "fuzz.yaml", overrides: overrides)
                XCTAssertFalse(spec.model.layers.isEmpty)
                XCTAssertNoThrow(try Spec.parse(yaml: spec.yaml(), file: "fuzz.yaml"),
                                 "the resolved YAML of a valid spec must validate:\n\(spec.yaml())")
                // Building infers and checks shapes: it may report problems but must not trap either.
                if let built = try? Builder.build(spec.model) { XCTAssertGreaterThanOrEqual(built.parameterCount, 0) }
                outcomes.specs += 1
            } catch {
                outcomes.failures += 1
                XCTAssertFalse(error.errors.isEmpty, "a failure carries at least one error:\n\(text)")
                for diagnostic in error.diagnostics {
                    XCTAssertFalse(diagnostic.message.isEmpty)
                    if diagnostic.location.file != nil {
                        XCTAssertLessThanOrEqual(diagnostic.location.line, lineCount + 1, "\(diagnostic)\n\(text)")
                    }
                }
            }
        }
        XCTAssertEqual(outcomes.specs + outcomes.failures, 600)
        XCTAssertEqual(Self.seeds.count, 5, "the shipped specs are read")
        XCTAssertGreaterThan(outcomes.failures, 0)
    }

    func testAliasBombsAreCutOffNotExpanded() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<10 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        let messages = diagnostics(lines.joined(separator: "\n"), file: "bomb.yaml")
        XCTAssertTrue(messages.contains { $0.contains("more than 200000 nodes") }, "\(messages)")
    }
}

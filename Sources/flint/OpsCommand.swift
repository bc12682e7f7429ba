import ArgumentParser
import Foundation
import Flint

struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "List every tensor op with its dtypes and whether it is differentiable.")

    @Flag(help: "Print a JSON array of {name, differentiable, dtypes}.") var json = false

    func run() throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(allOps)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let width = allOps.map(\.name.count).max() ?? 0
        for op in allOps {
            let name = op.name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(name)  \(op.differentiable ? "differentiable" : "              ")  \(op.dtypes.map(\.rawValue).joined(separator: ","))")
        }
        let differentiable = allOps.filter(\.differentiable).count
        print("\(allOps.count) ops, \(differentiable) differentiable")
    }
}

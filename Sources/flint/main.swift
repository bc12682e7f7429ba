import ArgumentParser
import Foundation
import FlintTrain

/// The `flint` command line: each subcommand parses its arguments and calls
/// the library; errors become exit code 2 (bad input) or 1 (runtime failure).
struct FlintCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flint",
        abstract: "Train, evaluate and export PyTorch-style models described in YAML.",
        discussion: """
        Examples:
          flint train models/mnist_mlp.yaml
          flint train models/mnist_mlp.yaml --set optimizer.lr=0.01 --set train.epochs=1 --json
          flint eval models/runs/<run>/checkpoints/last.h5 --json
          flint inspect datasets/mnist.h5
        Exit codes: 0 success, 1 runtime failure, 2 bad input (spec, data, arguments).
        """,
        version: FlintVersion.string,
        subcommands: CLICommands.all)
}

/// `--top-k -1` would parse as an option missing its value followed by an unknown option `-1`;
/// joined as `--top-k=-1`, the number reaches the command, which says what is wrong with it.
func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
    var joined: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--" { joined += arguments[index...]; break }
        if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
           arguments[index + 1].hasPrefix("-"), Double(arguments[index + 1]) != nil {
            joined.append(argument + "=" + arguments[index + 1])
            index += 2
            continue
        }
        joined.append(argument)
        index += 1
    }
    return joined
}

// Parse and run by hand so that argument errors exit with 2, as every other bad input does.
do {
    var command = try FlintCLI.parseAsRoot(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
    try command.run()
} catch {
    if FlintCLI.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((FlintCLI.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    FlintCLI.exit(withError: error)
}

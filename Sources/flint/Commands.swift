import ArgumentParser

/// Every subcommand of `flint`, in the order `--help` lists them.
enum CLICommands {
    static let all: [ParsableCommand.Type] = [
        TrainCommand.self, EvalCommand.self, ConfigCommand.self, ImportCommand.self, InspectCommand.self,
    ]
}

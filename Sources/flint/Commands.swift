import ArgumentParser

/// Every subcommand of `flint`, in the order `--help` lists them.
enum CLICommands {
    static let all: [ParsableCommand.Type] = [
        TrainCommand.self, EvalCommand.self, PredictCommand.self, GenerateCommand.self, ExportCommand.self, ConfigCommand.self, CheckCommand.self, SummaryCommand.self, DocsCommand.self, ImportCommand.self, InspectCommand.self,
        RunsCommand.self, PlotCommand.self, OpsCommand.self,
    ]
}

import ArgumentParser
import Foundation
import FlintTrain

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample text from a language model; the checkpoint alone suffices.",
        discussion: """
            The model reads the last block_size tokens (model.input) and the next token is drawn from \
            softmax(logits / temperature), restricted by --top-k and --top-p. Characters the vocabulary \
            has not seen become <unk>. The same seed gives the same text. On a terminal the text \
            streams as it is made; --json prints one object with the text and each token's log-probability.

            Example: flint generate models/runs/fortunes-char-lm-* --prompt "The " --tokens 300 --top-k 20
            """)

    @Argument(help: "A checkpoint file, or a run directory (its checkpoints/last.h5).") var checkpoint: String
    @Option(help: "The text to continue.") var prompt: String
    @Option(help: "Tokens to generate.") var tokens = 200
    @Option(help: "Divides the logits; 0 always takes the most likely token.") var temperature = 1.0
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens only.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample among the most likely tokens whose probabilities sum to p.") var topP: Double?
    @Option(help: "Seed of the sampling.") var seed: UInt64 = 0
    @Flag(help: "Print the result as one JSON line on stdout.") var json = false

    func run() throws {
        try reportingErrors {
            let generator = try TextGenerator(checkpoint: checkpoint)
            let options = SamplingOptions(tokens: tokens, temperature: temperature, topK: topK, topP: topP, seed: seed)
            let streaming = !json && isatty(STDOUT_FILENO) == 1
            if streaming { FileHandle.standardOutput.write(Data(prompt.utf8)) }
            let result = try generator.generate(prompt: prompt, options: options) { piece in
                if streaming { FileHandle.standardOutput.write(Data(piece.utf8)) }
            }
            if json {
                print(result.json(vocabulary: generator.vocabulary).text)
            } else if streaming {
                print()
            } else {
                print(prompt + result.text)
            }
        }
    }
}

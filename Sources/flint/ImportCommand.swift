import ArgumentParser
import FlintData
import Foundation

/// `flint import FORMAT FILES... --output H5`: one subcommand per format.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring data from other formats into an HDF5 file.",
        subcommands: [ImportIDXCommand.self, ImportCSVCommand.self, ImportNPYCommand.self, ImportImagesCommand.self,
                      ImportTextCommand.self])
}

/// Runs an import, printing its report; any error is bad input (exit code 2).
private func runImport(_ body: () throws -> String) throws {
    do {
        print(try body())
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        if case DataError.writeFailed = error { throw ExitCode(1) }
        throw ExitCode(2)
    }
}

/// The options every importer that can hold out a test split shares.
struct SplitOptions: ParsableArguments {
    @Option(help: "Hold out this fraction of the rows as test/ (the rest is train/).")
    var testFraction: Double?

    @Option(help: "Seed of the held-out rows.")
    var seed: UInt64 = 0

    @Flag(help: "Keep each class's share the same in train/ and test/.")
    var stratify = false

    @Option(help: "Group of every row when no test fraction is given.")
    var split = "train"

    var importSplit: ImportSplit { ImportSplit(name: split, testFraction: testFraction, seed: seed, stratify: stratify) }
}

struct ImportIDXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idx",
        abstract: "Import IDX files (the MNIST format, raw or .gz).",
        discussion: """
            A file whose header has one dimension becomes `SPLIT/labels` (int64), \
            one with more becomes `SPLIT/images` ([N, H, W] stored as [N, 1, H, W]). \
            The split comes from the file name: 'train' → train, 't10k' or 'test' → test, \
            'val' → val; or name it with --split.

            Example: flint import idx data/mnist/*.gz --output datasets/mnist.h5
            """)

    @Argument(help: "IDX files, raw or gzip-compressed.")
    var files: [String]

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Option(help: "Put every file in this split (group) instead of reading the split from file names.")
    var split: String?

    @Option(help: "Names of the classes in label order, comma-separated (e.g. Fashion-MNIST's), stored with the labels.")
    var classes: String?

    @Flag(help: "Store [N, H, W] images as they are, without a channel dimension.")
    var noChannelDim = false

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        let names = classes?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let options = IDXImportOptions(split: split, addChannelDimension: !noChannelDim, overwrite: force, classes: names)
        try runImport { try importIDX(files, output: output, options: options).report(output: output) }
    }
}

struct ImportCSVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Import a CSV table: one target column, every other column a feature.",
        discussion: """
            Writes SPLIT/features (float32 [N, F]) and SPLIT/labels (int64, classification) \
            or SPLIT/targets (float32 [N, 1], regression). Categorical columns become codes \
            0..k-1 in sorted order, their vocabularies stored as attributes; missing values \
            (empty, NA, NaN, null, ?) become NaN in features (--missing nan), or their rows are left \
            out (drop), or they take the column's mean or median over the file (numeric columns), \
            or the import fails (error); the report names the columns and rows affected.

            With --text-column C the table holds documents for classification: column C's text \
            becomes SPLIT/tokens ([N, L] token ids padded with <pad>, id 1), SPLIT/lengths and \
            SPLIT/labels (the target's classes), with the vocabulary (group vocab) as \
            `flint import text --classes-from-dirs` writes them; other columns are not read.

            Example: flint import csv wine.csv --target class --test-fraction 0.2 --stratify --output wine.h5
            """)

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "The target column (header name or 0-based index).")
    var target: String

    @Option(help: "Columns holding categories, comma-separated (names or indices).")
    var categorical: String?

    @Option(help: "classification, regression, or auto (classification when the target is categorical).")
    var task: String = "auto"

    @Flag(inversion: .prefixedNo, help: "Whether the first row names the columns (detected when not given).")
    var header: Bool?

    @Option(help: "Missing feature values: nan (stored as NaN), drop (the row), mean or median (of the column), or error.")
    var missing: String = "nan"

    @Option(help: "A column of documents to classify (name or index): writes token sequences instead of features.")
    var textColumn: String?

    @Option(help: "With --text-column, tokens: char (Unicode scalars), byte (UTF-8 bytes) or word.")
    var level: String = "char"

    @Option(help: "With --text-column, keep the first N tokens of longer documents.")
    var maxLength: Int?

    @OptionGroup var splitOptions: SplitOptions

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        if let textColumn {
            guard let level = TokenLevel(rawValue: level) else {
                throw ValidationError("--level must be char, byte or word, got '\(level)'")
            }
            let csv = CSVImportOptions(target: target, header: header)
            let options = DocumentImportOptions(level: level, maxLength: maxLength, split: splitOptions.importSplit, overwrite: force)
            try runImport { try importCSVText(file, textColumn: textColumn, output: output, csv: csv, options: options).description }
            return
        }
        guard level == "char", maxLength == nil else { throw ValidationError("--level and --max-length need --text-column") }
        guard let task = CSVImportOptions.Task(rawValue: task) else {
            throw ValidationError("--task must be classification, regression or auto, got '\(task)'")
        }
        guard let missing = CSVImportOptions.MissingStrategy(rawValue: missing) else {
            throw ValidationError("--missing must be nan, drop, mean, median or error, got '\(missing)'")
        }
        let columns = categorical?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        let options = CSVImportOptions(target: target, categorical: columns, header: header, task: task,
                                       split: splitOptions.importSplit, overwrite: force, missing: missing)
        try runImport { try importCSV(file, output: output, options: options).description }
    }
}

struct ImportNPYCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "npy",
        abstract: "Import numpy .npy arrays (format 1.0, 2.0, 3.0), one dataset each.",
        discussion: """
            FILE becomes a dataset named after the file (x_train.npy → x_train); \
            FILE:PATH names it (digits.npy:train/images). Narrow integers widen to int32, \
            float16 to float32; big-endian and Fortran-ordered arrays are converted.

            Example: flint import npy x.npy:train/features y.npy:train/labels --output data.h5
            """)

    @Argument(help: "FILE or FILE:DATASET, one per array.")
    var files: [String]

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        try runImport {
            let written = try importNPY(files.map(NPYImportEntry.init(argument:)), output: output, overwrite: force)
            return written.map { entry, header in
                "\(entry.file) (\(header.descr) \(header.shape)\(header.fortranOrder ? ", Fortran order" : "")) → \(entry.datasetPath)"
            }.joined(separator: "\n")
        }
    }
}

struct ImportImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Import a folder of PNG or JPEG images, one subfolder per class.",
        discussion: """
            Classes are the subfolder names in sorted order (as torchvision's ImageFolder); \
            writes SPLIT/images (uint8 [N, C, H, W]) and SPLIT/labels (int64). All images \
            must share one size.

            Example: flint import images digits/ --test-fraction 0.2 --stratify --output digits.h5
            """)

    @Argument(help: "A folder with one subfolder of images per class.")
    var directory: String

    @Option(help: "gray, rgb, or auto (gray when every image is gray).")
    var mode: String = "auto"

    @OptionGroup var splitOptions: SplitOptions

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        guard let mode = ImageImportOptions.ColorMode(rawValue: mode) else {
            throw ValidationError("--mode must be gray, rgb or auto, got '\(mode)'")
        }
        let options = ImageImportOptions(mode: mode, split: splitOptions.importSplit, overwrite: force)
        try runImport { try importImages(directory, output: output, options: options).description }
    }
}

struct ImportTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Import plain text as token ids for a language model, or documents for classification.",
        discussion: """
            Writes train/tokens (and val/tokens, test/tokens with the fractions): 1-D token ids, \
            uint8 when the vocabulary has at most 256 entries, else int32; and the vocabulary \
            (group vocab: tokens, counts, codes, with <unk> as id 0). Each file is cut into \
            contiguous parts, train then val then test, so no window straddles two splits.

            With --classes-from-dirs, DIR holds one subfolder of text files per class (sorted \
            names are the classes); each file is a document, or with --separator LINE each run \
            of lines between lines equal to LINE. Writes SPLIT/tokens ([N, L]: each document's \
            ids, then <pad> (id 1) up to L, the longest document or --max-length), \
            SPLIT/lengths (int64 [N]), SPLIT/labels (int64 [N], attribute classes) and the \
            vocabulary with <pad>; --test-fraction holds out test/ (with --seed, --stratify).

            Examples: flint import text /usr/share/games/fortunes/art --val-fraction 0.1 --output art.h5
                      flint import text topics/ --classes-from-dirs --separator % --level word \
                          --max-length 128 --test-fraction 0.2 --stratify --output topics.h5
            """)

    @Argument(help: "Text files (UTF-8 unless --level byte), or one folder with --classes-from-dirs.")
    var files: [String]

    @Option(help: "Tokens: char (Unicode scalars), byte (UTF-8 bytes) or word.")
    var level: String = "char"

    @Option(help: "Share of each file's tokens held out as val/tokens.")
    var valFraction: Double = 0

    @Option(help: "Share of each file's tokens (of the documents, with --classes-from-dirs) held out as test/.")
    var testFraction: Double = 0

    @Flag(help: "Documents for classification: one subfolder of text files per class.")
    var classesFromDirs = false

    @Option(help: "With --classes-from-dirs, a line equal to this ends a document (% for fortune files).")
    var separator: String?

    @Option(help: "With --classes-from-dirs, keep the first N tokens of longer documents.")
    var maxLength: Int?

    @Option(help: "With --classes-from-dirs, seed of the held-out documents.")
    var seed: UInt64 = 0

    @Flag(help: "With --classes-from-dirs, keep each class's share the same in train/ and test/.")
    var stratify = false

    @Option(name: .shortAndLong, help: "The HDF5 file to write.")
    var output: String

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        guard let level = TokenLevel(rawValue: level) else {
            throw ValidationError("--level must be char, byte or word, got '\(level)'")
        }
        if classesFromDirs {
            guard files.count == 1, let directory = files.first else {
                throw ValidationError("--classes-from-dirs reads one folder (one subfolder per class), got \(files.count) arguments")
            }
            guard valFraction == 0 else {
                throw ValidationError("--val-fraction is for language models; carve val from train in the spec (val: {split: F})")
            }
            let split = ImportSplit(testFraction: testFraction > 0 ? testFraction : nil, seed: seed, stratify: stratify)
            let options = DocumentImportOptions(level: level, separator: separator, maxLength: maxLength, split: split,
                                                overwrite: force)
            try runImport { try importTextClasses(directory, output: output, options: options).description }
            return
        }
        guard separator == nil, maxLength == nil, !stratify, seed == 0 else {
            throw ValidationError("--separator, --max-length, --seed and --stratify need --classes-from-dirs")
        }
        let options = TextImportOptions(level: level, valFraction: valFraction, testFraction: testFraction, overwrite: force)
        try runImport { try importText(files, output: output, options: options).description }
    }
}

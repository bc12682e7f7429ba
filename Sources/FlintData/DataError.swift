/// A problem with the data itself, saying what is wrong and where
/// (file, dataset path, row, column or line).
public enum DataError: Error, CustomStringConvertible, Equatable {
    case lengthMismatch(x: Int, y: Int, where: String)
    case invalid(String)
    /// Non-finite values in an input: counts of NaN and ±inf, the samples that hold
    /// them and the first one found.
    case nonFinite(place: String, nan: Int, infinite: Int, samples: Int, firstRow: Int, firstColumn: Int)
    /// Class labels outside `0..<classes`.
    case labelOutOfRange(place: String, count: Int, classes: Int, first: Int64, firstRow: Int)
    /// A sample whose shape differs from the others (an image of another size).
    case wrongShape(place: String, expected: [Int], got: [Int])
    /// A text file that cannot be parsed, at `file:line`.
    case parse(file: String, line: Int, message: String)
    /// An output that could not be written (a full disk): a failure of this machine, not of the data.
    case writeFailed(String)

    public var description: String {
        switch self {
        case let .lengthMismatch(x, y, place):
            return "\(place): x has \(x) samples but y has \(y)"
        case let .invalid(message):
            return message
        case let .nonFinite(place, nan, infinite, samples, row, column):
            let what = [nan > 0 ? "\(nan) NaN" : nil, infinite > 0 ? "\(infinite) infinite" : nil]
                .compactMap { $0 }.joined(separator: " and ")
            return "\(place): \(what) values in \(samples) samples (first at row \(row), element \(column)); "
                + "clean or impute them before training"
        case let .labelOutOfRange(place, count, classes, first, row):
            return "\(place): \(count) labels are outside 0..<\(classes), first: \(first) at row \(row)"
        case let .wrongShape(place, expected, got):
            return "\(place): has shape \(got), but the other samples have shape \(expected)"
        case let .parse(file, line, message):
            return "\(file):\(line): \(message)"
        case let .writeFailed(message):
            return message
        }
    }
}

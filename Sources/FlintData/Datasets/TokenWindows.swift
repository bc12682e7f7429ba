import Flint
import FlintHDF5

/// A language model's samples from one token stream (nanoGPT's `get_batch`,
/// as a dataset): sample i is the window `x = tokens[s : s+L]` with its
/// targets shifted by one, `y = tokens[s+1 : s+L+1]`, where `s = i·stride`.
/// With `stride == blockSize` (the default) the windows do not overlap and an
/// epoch sees every token once; a smaller stride gives overlapping windows.
///
/// The stream is held in memory (a few bytes per token), so any order is
/// cheap: a `DataLoader` shuffles the windows with one permutation per epoch
/// and resumes mid-epoch like any in-memory source.
public struct TokenWindows: DataSource {
    /// The whole stream, int64.
    public let tokens: [Int64]
    public let blockSize: Int
    public let stride: Int
    /// Start of each sample's window.
    public let starts: [Int]
    /// Where the tokens came from, for messages: `text.h5: 'train/tokens'`.
    public let place: String

    /// - Parameters:
    ///   - tokens: the token ids, in order.
    ///   - blockSize: L, positions per sample.
    ///   - stride: tokens between the starts of consecutive windows; `blockSize` when nil.
    public init(tokens: [Int64], blockSize: Int, stride: Int? = nil, place: String = "tokens") throws {
        let stride = stride ?? blockSize
        guard blockSize > 0, stride > 0 else {
            throw DataError.invalid("\(place): block_size and stride must be positive, got \(blockSize) and \(stride)")
        }
        guard tokens.count > blockSize else {
            throw DataError.invalid("\(place): \(tokens.count) tokens make no window of block_size \(blockSize) "
                                    + "(a window needs block_size + 1 tokens)")
        }
        if let bad = tokens.first(where: { $0 < 0 }) {
            throw DataError.invalid("\(place): token ids must not be negative, found \(bad)")
        }
        self.tokens = tokens
        self.blockSize = blockSize
        self.stride = stride
        self.starts = Array(Swift.stride(from: 0, through: tokens.count - 1 - blockSize, by: stride))
        self.place = place
    }

    private init(_ base: TokenWindows, starts: [Int]) {
        tokens = base.tokens
        blockSize = base.blockSize
        stride = base.stride
        self.starts = starts
        place = base.place
    }

    /// The token stream at `path` of the HDF5 file `file`, any integer dtype, 1-D.
    public static func open(file: String, path: String, blockSize: Int, stride: Int? = nil) throws -> TokenWindows {
        let ref = ArrayRef(file: file, path: path)
        let dataset = try HDF5File.open(file).dataset(path)
        guard dataset.shape.count == 1, let dtype = dataset.dtype, !dtype.isFloatingPoint, dtype != .bool else {
            throw DataError.invalid("\(ref.place) holds \(dataset.typeAndShape); a language model's tokens are 1-D integer ids "
                                    + "(flint import text writes them)")
        }
        return try TokenWindows(tokens: try dataset.readArray(as: Int64.self), blockSize: blockSize, stride: stride,
                                place: ref.place)
    }

    /// The largest token id plus one: the vocabulary a model of these tokens must cover.
    public var idLimit: Int64 { (tokens.max() ?? -1) + 1 }

    public var count: Int { starts.count }

    public var inputs: [ArrayInfo] { [ArrayInfo(name: "x", sampleShape: [blockSize], dtype: .int64, place: place)] }

    public var target: ArrayInfo { ArrayInfo(name: "y", sampleShape: [blockSize], dtype: .int64, place: place) }

    public var blockRows: Int? { nil }

    private func windows(_ positions: [Int], shift: Int) throws -> Tensor {
        var values: [Int64] = []
        values.reserveCapacity(positions.count * blockSize)
        for p in positions {
            guard starts.indices.contains(p) else {
                throw DataError.invalid("position \(p) is out of range for \(count) windows of \(place)")
            }
            let s = starts[p] + shift
            values += tokens[s..<(s + blockSize)]
        }
        return try Tensor(values, shape: [positions.count, blockSize])
    }

    public func read(_ positions: [Int]) throws -> SampleRows {
        SampleRows(inputs: [("x", try windows(positions, shift: 0))], y: try windows(positions, shift: 1))
    }

    public func readTargets(_ positions: Range<Int>) throws -> Tensor { try windows(Array(positions), shift: 1) }

    public func subset(_ positions: [Int]) throws -> DataSource {
        guard positions.allSatisfy(starts.indices.contains) else {
            throw DataError.invalid("a subset names windows outside 0..<\(count) of \(place)")
        }
        return TokenWindows(self, starts: positions.map { starts[$0] })
    }
}

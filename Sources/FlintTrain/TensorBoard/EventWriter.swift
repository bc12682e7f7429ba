import Foundation
import SwiftProtobuf
import TensorBoardProto

/// Writes a TensorBoard event file (`events.out.tfevents.<time>.<host>.<pid>.0`)
/// in a folder: scalars as `simple_value` summaries and, optionally,
/// histograms, each record flushed so a running TensorBoard sees it at once.
public final class EventWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates the file and writes the version record TensorBoard expects first.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName
        path = "\(directory)/events.out.tfevents.\(Int(now)).\(host).\(getpid()).0"
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainError.io("cannot create TensorBoard event file \(path)")
        }
        self.handle = handle
        var event = Tensorboard_Event()
        event.wallTime = now
        event.fileVersion = "brain.Event:2"
        try write(event)
    }

    deinit { try? handle.close() }

    /// Marks a restart at `step` (a resumed run): TensorBoard then drops the
    /// events from `step` on that the earlier process wrote past its checkpoint.
    public func restart(at step: Int) throws {
        var event = Tensorboard_Event()
        event.wallTime = Date().timeIntervalSince1970
        event.step = Int64(step)
        var log = Tensorboard_SessionLog()
        log.status = .start
        event.sessionLog = log
        try write(event)
    }

    /// One scalar per tag at `step`, in one event.
    public func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        guard !values.isEmpty else { return }
        var summary = Tensorboard_Summary()
        summary.value = values.map { tag, value in
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        }
        try write(summary: summary, step: step, wallTime: wallTime)
    }

    /// A histogram of `values` under `tag`, with TensorBoard's default
    /// exponential bucket edges (±1e-12 · 1.1^k, as `tf.summary.histogram` v1 uses).
    public func histogram(_ tag: String, values: [Float], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var h = Tensorboard_HistogramProto()
        let finite = values.filter { $0.isFinite }
        h.num = Double(finite.count)
        h.min = Double(finite.min() ?? 0)
        h.max = Double(finite.max() ?? 0)
        h.sum = finite.reduce(0.0) { $0 + Double($1) }
        h.sumSquares = finite.reduce(0.0) { $0 + Double($1) * Double($1) }
        let edges = EventWriter.bucketEdges
        var counts = [Double](repeating: 0, count: edges.count)
        for v in finite {
            var lo = 0, hi = edges.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if Double(v) <= edges[mid] { hi = mid } else { lo = mid + 1 }
            }
            counts[lo] += 1
        }
        // TensorBoard reads sparse histograms: only the buckets that hold values.
        for (edge, count) in zip(edges, counts) where count > 0 {
            h.bucketLimit.append(edge)
            h.bucket.append(count)
        }
        var value = Tensorboard_Summary.Value()
        value.tag = tag
        value.histo = h
        var summary = Tensorboard_Summary()
        summary.value = [value]
        try write(summary: summary, step: step, wallTime: wallTime)
    }

    private static let bucketEdges: [Double] = {
        var positive: [Double] = []
        var v = 1e-12
        while v < 1e20 {
            positive.append(v)
            v *= 1.1
        }
        return positive.reversed().map { -$0 } + [0] + positive + [Double.greatestFiniteMagnitude]
    }()

    private func write(summary: Tensorboard_Summary, step: Int, wallTime: Double) throws {
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = Int64(step)
        event.summary = summary
        try write(event)
    }

    private func write(_ event: Tensorboard_Event) throws {
        do {
            try handle.write(contentsOf: TFRecord.frame(try event.serializedData()))
        } catch {
            throw TrainError.io("cannot write TensorBoard event file \(path): \(error)")
        }
    }
}

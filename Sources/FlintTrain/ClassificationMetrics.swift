import Flint

/// A confusion matrix and what follows from it, defined as scikit-learn
/// defines them (`confusion_matrix`, `precision_recall_fscore_support` with
/// `zero_division=0`): rows are true classes, columns predicted classes.
public struct ConfusionMatrix: Equatable {
    public let classes: Int
    /// `counts[t][p]`: samples of true class `t` predicted as `p`.
    public private(set) var counts: [[Int]]

    public init(classes: Int) {
        self.classes = classes
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    }

    /// Counts one sample; targets outside `0..<classes` (an `ignore_index`) are skipped.
    public mutating func add(target: Int, prediction: Int) {
        guard (0..<classes).contains(target), (0..<classes).contains(prediction) else { return }
        counts[target][prediction] += 1
    }

    /// Sets the counts from `flat`, row by row (the sums over a data-parallel job's ranks).
    mutating func replaceCounts(_ flat: [Int]) {
        for t in 0..<classes { counts[t] = Array(flat[(t * classes)..<((t + 1) * classes)]) }
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classes).reduce(0) { $0 + counts[$1][$1] } }
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : .nan }

    /// Samples whose true class is `c` (row sum).
    public func support(_ c: Int) -> Int { counts[c].reduce(0, +) }
    /// Samples predicted as `c` (column sum).
    public func predicted(_ c: Int) -> Int { counts.reduce(0) { $0 + $1[c] } }

    /// TP / (TP + FP); 0 when nothing was predicted as `c`.
    public func precision(_ c: Int) -> Double {
        let p = predicted(c)
        return p > 0 ? Double(counts[c][c]) / Double(p) : 0
    }

    /// TP / (TP + FN); 0 when no sample is of class `c`.
    public func recall(_ c: Int) -> Double {
        let s = support(c)
        return s > 0 ? Double(counts[c][c]) / Double(s) : 0
    }

    /// 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN); 0 when that is 0/0.
    public func f1(_ c: Int) -> Double {
        let denominator = support(c) + predicted(c)
        return denominator > 0 ? 2 * Double(counts[c][c]) / Double(denominator) : 0
    }

    /// The classes scikit-learn averages over by default: those that occur
    /// among the targets or the predictions.
    public var presentClasses: [Int] { (0..<classes).filter { support($0) > 0 || predicted($0) > 0 } }

    /// Unweighted mean over `presentClasses` (sklearn's `average='macro'`).
    public func macro(_ metric: (Int) -> Double) -> Double {
        let present = presentClasses
        return present.isEmpty ? .nan : present.reduce(0) { $0 + metric($1) } / Double(present.count)
    }

    /// Mean weighted by support (sklearn's `average='weighted'`).
    public func weighted(_ metric: (Int) -> Double) -> Double {
        let n = total
        return n > 0 ? (0..<classes).reduce(0) { $0 + metric($1) * Double(support($1)) } / Double(n) : .nan
    }
}

/// Accumulates classification metrics over batches of scores `[B, C]` and
/// class-index targets `[B]`: the confusion matrix of argmax predictions and
/// top-k hits.
public struct ClassificationAccumulator {
    public private(set) var confusion: ConfusionMatrix
    /// k of the top-k accuracy, when it is measured (1 < k < classes).
    public let topK: Int?
    public private(set) var topKHits = 0

    public init(classes: Int, topK: Int?) {
        confusion = ConfusionMatrix(classes: classes)
        self.topK = topK.flatMap { $0 > 1 && $0 < classes ? $0 : nil }
    }

    /// Adds a batch. A target counts as a top-k hit when fewer than k classes
    /// score strictly higher than it (sklearn's `top_k_accuracy_score` for untied scores).
    public mutating func add(scores: Tensor, targets: Tensor) throws {
        let classes = confusion.classes
        guard scores.rank == 2, scores.shape[1] == classes, targets.rank == 1, targets.shape[0] == scores.shape[0] else {
            throw TrainError.runtime("classification metrics: scores \(scores.shape) and targets \(targets.shape) do not pair up for \(classes) classes")
        }
        let s = scores.casted(to: .float32).toArray(Float.self)
        let t = targets.casted(to: .int64).toArray(Int64.self)
        for (row, target) in t.enumerated() {
            let base = row * classes
            var best = 0
            for c in 1..<Swift.max(classes, 1) where s[base + c] > s[base + best] { best = c }
            confusion.add(target: Int(target), prediction: best)
            if let k = topK, (0..<classes).contains(Int(target)) {
                let own = s[base + Int(target)]
                var above = 0
                for c in 0..<classes where s[base + c] > own { above += 1 }
                if above < k { topKHits += 1 }
            }
        }
    }

    /// Every rank's counts gathered with `gather` and summed into this one (a
    /// data-parallel job evaluates a shard per rank; metrics are the whole split's).
    mutating func merge(_ gather: ([Double]) throws -> [[Double]]) rethrows {
        let mine = confusion.counts.flatMap { $0.map(Double.init) } + [Double(topKHits)]
        var total = [Double](repeating: 0, count: mine.count)
        for part in try gather(mine) { for i in total.indices { total[i] += part[i] } }
        confusion.replaceCounts(total.dropLast().map { Int($0) })
        topKHits = Int(total.last ?? 0)
    }

    /// `accuracy`, `top{k}_accuracy`, and macro precision, recall and F1.
    public var metrics: [String: Double] {
        var m: [String: Double] = [
            "accuracy": confusion.accuracy,
            "macro_precision": confusion.macro(confusion.precision),
            "macro_recall": confusion.macro(confusion.recall),
            "macro_f1": confusion.macro(confusion.f1),
            "weighted_f1": confusion.weighted(confusion.f1),
        ]
        if let k = topK { m["top\(k)_accuracy"] = confusion.total > 0 ? Double(topKHits) / Double(confusion.total) : .nan }
        return m
    }
}

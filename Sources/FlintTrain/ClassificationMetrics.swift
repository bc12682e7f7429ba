import Foundation
import Flint
import FlintSpec

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
    mutating func replaceCounts<C: Collection>(_ flat: C) where C.Element == Int {
        let values = Array(flat)
        for t in 0..<classes { counts[t] = Array(values[(t * classes)..<((t + 1) * classes)]) }
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

    /// Σ TP / Σ predicted over every class (sklearn's `average='micro'`): the accuracy, for single-label classes.
    public var micro: Double { accuracy }

    /// Precision, recall or F1 averaged as `average` says; a binary matrix reports its positive class
    /// (class 1), as sklearn's `average='binary'` and torchmetrics' binary metrics do.
    public func averaged(_ metric: (Int) -> Double, _ average: MetricSpec.Average, binary: Bool) -> Double {
        if binary { return total > 0 ? metric(1) : .nan }
        switch average {
        case .macro: return macro(metric)
        case .micro: return micro
        case .weighted: return weighted(metric)
        }
    }
}

/// Accumulates classification metrics over batches: the confusion matrix of
/// predictions, top-k hits, and the probabilities AUROC ranks.
///
/// Multiclass: scores `[B, C]` and class-index targets `[B]`; the prediction is the argmax.
/// Binary: one score per sample (`[B]` or `[B, 1]`) and 0/1 targets; scores outside [0, 1]
/// are logits and go through a sigmoid, and a probability above 0.5 predicts class 1
/// (torchmetrics' binary rule).
public struct ClassificationAccumulator {
    public private(set) var confusion: ConfusionMatrix
    public let binary: Bool
    /// The k of every top-k accuracy measured.
    public let topKs: [Int]
    private var topKHits: [Int]
    /// Whether probabilities are kept for AUROC.
    public let keepsProbabilities: Bool
    /// Per sample: the positive class's probability (binary), or the `C` softmax probabilities.
    private var probabilities: [Double] = []
    private var labels: [Int] = []

    public init(classes: Int, binary: Bool = false, topKs: [Int] = [], auroc: Bool = false) {
        confusion = ConfusionMatrix(classes: binary ? 2 : classes)
        self.binary = binary
        self.topKs = binary ? [] : topKs
        topKHits = Array(repeating: 0, count: self.topKs.count)
        keepsProbabilities = auroc
    }

    /// Adds a batch of scores and targets (see the type's doc for their shapes).
    public mutating func add(scores: Tensor, targets: Tensor) throws {
        let rows = targets.shape.first ?? 0
        if binary {
            guard scores.count == rows, targets.count == rows else {
                throw TrainError.runtime("binary metrics: scores \(scores.shape) and targets \(targets.shape) do not pair up; "
                                         + "they need one score and one 0/1 target per sample")
            }
            return try addBinary(scores.casted(to: .float64).toArray(Double.self), targets.casted(to: .float64).toArray(Double.self))
        }
        let classes = confusion.classes
        guard scores.rank == 2, scores.shape[1] == classes, targets.rank == 1, targets.shape[0] == scores.shape[0] else {
            throw TrainError.runtime("classification metrics: scores \(scores.shape) and targets \(targets.shape) do not pair up for \(classes) classes")
        }
        let s = scores.casted(to: .float32).toArray(Float.self)
        let t = targets.casted(to: .int64).toArray(Int64.self)
        // torchmetrics' rule: scores that are not all probabilities are logits, and get a softmax.
        let needsSoftmax = keepsProbabilities && s.contains { !($0 >= 0 && $0 <= 1) }
        for (row, target) in t.enumerated() {
            let base = row * classes
            var best = 0
            for c in 1..<Swift.max(classes, 1) where s[base + c] > s[base + best] { best = c }
            confusion.add(target: Int(target), prediction: best)
            guard (0..<classes).contains(Int(target)) else { continue }
            if !topKs.isEmpty {
                // A hit when fewer than k classes score strictly higher (sklearn's top_k_accuracy_score for untied scores).
                let own = s[base + Int(target)]
                var above = 0
                for c in 0..<classes where s[base + c] > own { above += 1 }
                for (i, k) in topKs.enumerated() where above < k { topKHits[i] += 1 }
            }
            if keepsProbabilities {
                labels.append(Int(target))
                let row = s[base..<(base + classes)].map { Double($0) }
                if needsSoftmax {
                    let top = row.max() ?? 0
                    let e = row.map { Foundation.exp($0 - top) }
                    let sum = e.reduce(0, +)
                    probabilities += e.map { $0 / sum }
                } else {
                    probabilities += row
                }
            }
        }
    }

    private mutating func addBinary(_ scores: [Double], _ targets: [Double]) throws {
        guard let bad = targets.first(where: { $0 != 0 && $0 != 1 }) else {
            let logits = scores.contains { !($0 >= 0 && $0 <= 1) }
            for (score, target) in zip(scores, targets) {
                let p = logits ? 1 / (1 + Foundation.exp(-score)) : score
                confusion.add(target: Int(target), prediction: p > 0.5 ? 1 : 0)
                if keepsProbabilities {
                    probabilities.append(p)
                    labels.append(Int(target))
                }
            }
            return
        }
        throw TrainError.runtime("binary metrics need 0/1 targets, got \(bad)")
    }

    /// Every rank's counts gathered with `gather` and summed into this one, and
    /// the probabilities kept for AUROC appended in rank order (AUROC does not
    /// depend on the order): a data-parallel job's metrics are the whole split's.
    mutating func merge(_ gather: ([Double]) throws -> [[Double]]) rethrows {
        let cells = confusion.classes * confusion.classes
        var total = [Double](repeating: 0, count: cells + topKHits.count)
        for part in try gather(confusion.counts.flatMap { $0.map(Double.init) } + topKHits.map(Double.init)) {
            for i in total.indices { total[i] += part[i] }
        }
        confusion.replaceCounts(total[..<cells].map { Int($0) })
        topKHits = total[cells...].map { Int($0) }
        guard keepsProbabilities else { return }
        // Shards differ in length: gather the lengths, then the values padded to the longest.
        let lengths = try gather([Double(probabilities.count), Double(labels.count)]).map { (Int($0[0]), Int($0[1])) }
        let (pMax, lMax) = (lengths.map(\.0).max() ?? 0, lengths.map(\.1).max() ?? 0)
        let parts = try gather(probabilities + [Double](repeating: 0, count: pMax - probabilities.count)
                               + labels.map(Double.init) + [Double](repeating: 0, count: lMax - labels.count))
        probabilities = zip(parts, lengths).flatMap { part, n in part[0..<n.0] }
        labels = zip(parts, lengths).flatMap { part, n in part[pMax..<(pMax + n.1)].map { Int($0) } }
    }

    /// Top-k accuracy for one of `topKs`.
    public func topKAccuracy(_ k: Int) -> Double {
        guard let i = topKs.firstIndex(of: k), confusion.total > 0 else { return .nan }
        return Double(topKHits[i]) / Double(confusion.total)
    }

    /// Area under the ROC curve: of class 1 for a binary classifier, else one-vs-rest per class averaged
    /// over the classes that have both positive and negative samples (macro: unweighted, weighted: by support).
    /// NaN when no class has both.
    public func auroc(_ average: MetricSpec.Average) -> Double {
        if binary { return ClassificationAccumulator.binaryAUROC(probabilities, labels.map { $0 == 1 }) ?? .nan }
        let classes = confusion.classes
        var sum = 0.0, weights = 0.0
        for c in 0..<classes {
            let column = stride(from: c, to: probabilities.count, by: classes).map { probabilities[$0] }
            let positive = labels.map { $0 == c }
            guard let area = ClassificationAccumulator.binaryAUROC(column, positive) else { continue }
            let w = average == .weighted ? Double(positive.filter { $0 }.count) : 1
            sum += area * w
            weights += w
        }
        return weights > 0 ? sum / weights : .nan
    }

    /// The Mann–Whitney form of the area under the ROC curve, ties counting a half, which equals the
    /// trapezoidal area sklearn's `roc_auc_score` computes; nil without both positives and negatives.
    static func binaryAUROC(_ scores: [Double], _ positive: [Bool]) -> Double? {
        var positives: [Double] = [], negatives: [Double] = []
        for (s, p) in zip(scores, positive) {
            if p { positives.append(s) } else { negatives.append(s) }
        }
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        // Two sorts and one merge-like walk: 2U = Σ over positives of 2·(negatives below) +
        // (negatives tied), exact in integers; U is the rank sum of the positives less p(p+1)/2.
        positives = radixSorted(positives)
        negatives = radixSorted(negatives)
        var twiceU = 0, below = 0, notAbove = 0
        for s in positives {
            while below < negatives.count && negatives[below] < s { below += 1 }
            notAbove = Swift.max(notAbove, below)
            while notAbove < negatives.count && negatives[notAbove] <= s { notAbove += 1 }
            twiceU += below + notAbove
        }
        return Double(twiceU) / 2 / (Double(positives.count) * Double(negatives.count))
    }

    /// `values` in ascending order (−0 before +0): an LSD radix sort, 11 bits a pass, over keys that order
    /// as the doubles do (a non-negative double's bits with the sign bit set, a negative one's flipped).
    /// A pass whose digit is the same for every key is skipped, as the high bits of probabilities are.
    /// Swift's comparison sort of the one-vs-rest columns took most of `flint eval`'s metric time.
    static func radixSorted(_ values: [Double]) -> [Double] {
        var keys = values.map { v -> UInt64 in
            let b = v.bitPattern
            return b >> 63 == 0 ? b | (1 << 63) : ~b
        }
        var scratch = keys
        for shift in stride(from: UInt64(0), to: 64, by: 11) {
            var starts = [Int](repeating: 0, count: 2049)
            for k in keys { starts[Int((k >> shift) & 2047) + 1] += 1 }
            if starts.contains(keys.count) { continue }
            for d in 0..<2048 { starts[d + 1] += starts[d] }
            for k in keys {
                let d = Int((k >> shift) & 2047)
                scratch[starts[d]] = k
                starts[d] += 1
            }
            swap(&keys, &scratch)
        }
        return keys.map { k in Double(bitPattern: k >> 63 == 1 ? k & ~(1 << 63) : ~k) }
    }

    /// The value of one metric of the registry, or nil for the confusion matrix and regression metrics.
    public func value(of metric: MetricSpec) -> Double? {
        let cm = confusion
        switch metric.kind {
        case .accuracy: return cm.accuracy
        case .topKAccuracy: return topKAccuracy(metric.k)
        case .precision: return cm.averaged(cm.precision, metric.average, binary: binary)
        case .recall: return cm.averaged(cm.recall, metric.average, binary: binary)
        case .f1: return cm.averaged(cm.f1, metric.average, binary: binary)
        case .auroc: return auroc(metric.average)
        case .confusion, .mse, .mae, .r2, .perplexity, .bitsPerToken: return nil
        }
    }
}

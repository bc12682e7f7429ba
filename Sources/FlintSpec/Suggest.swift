/// "Did you mean" for near-miss names.
enum Suggest {
    /// The candidate closest to `word`, if close enough to be a plausible typo.
    ///
    /// Names are compared lowercased and without underscores, so PyTorch class names
    /// (`BatchNorm2d`, `CrossEntropyLoss`) find their snake_case spelling.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = normalized(word)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = damerauLevenshtein(target, normalized(candidate))
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(1, min(target.count, best.name.count) / 3)
        return best.distance <= allowed ? best.name : nil
    }

    /// `; did you mean 'lr'?` or nothing, ready to append to a message.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    private static func normalized(_ name: String) -> [Character] {
        Array(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours (`lienar` → `linear`) each cost one.
    static func damerauLevenshtein(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}

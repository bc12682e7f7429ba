/// The data flow of one list of layers (`model.layers`, or a block's layers).
///
/// A layer reads the layers its `inputs` name (or `input`, the list's input); without
/// `inputs` it reads the layer before it, and the first layer reads the input. Names
/// may point forwards: layers run in a topological order, the written order wherever
/// the data flow allows it. The last layer written is the list's output.
struct LayerGraph {
    enum Source: Hashable {
        case input
        case layer(Int)
    }

    /// What each layer reads, in the order written. Unknown names are left out: the
    /// validator reports them, and the builder never sees a spec that has them.
    let sources: [[Source]]
    /// The layers reading each layer's output.
    let consumers: [[Int]]
    private let names: [String?]

    init(_ layers: [SpecEntry]) {
        var index: [String: Int] = [:]
        for (position, layer) in layers.enumerated() {
            if let name = layer.name, index[name] == nil { index[name] = position }
        }
        var sources: [[Source]] = []
        var consumers = [[Int]](repeating: [], count: layers.count)
        for (position, layer) in layers.enumerated() {
            let reads: [Source]
            if let inputs = layer.inputs {
                reads = inputs.compactMap { name in name == "input" ? .input : index[name].map(Source.layer) }
            } else {
                reads = position == 0 ? [.input] : [.layer(position - 1)]
            }
            for case .layer(let source) in reads where !consumers[source].contains(position) {
                consumers[source].append(position)
            }
            sources.append(reads)
        }
        self.sources = sources
        self.consumers = consumers
        self.names = layers.map(\.name)
    }

    /// True when every layer reads the one before it: a `Sequential` will do.
    var isChain: Bool {
        sources.enumerated().allSatisfy { position, reads in
            reads == [position == 0 ? .input : .layer(position - 1)]
        }
    }

    /// How messages name a layer: its name, else its index (which is also its state-dict prefix).
    func displayName(_ position: Int) -> String {
        names[position].map { "'\($0)'" } ?? "\(position)"
    }

    /// The execution order: each layer after those it reads, ties broken by written
    /// order; nil when the layers form a cycle.
    func order() -> [Int]? {
        var done = [Bool](repeating: false, count: sources.count)
        var order: [Int] = []
        while order.count < sources.count {
            let ready = sources.indices.first { position in
                !done[position] && sources[position].allSatisfy { source in
                    if case .layer(let other) = source { return done[other] }
                    return true
                }
            }
            guard let next = ready else { return nil }
            done[next] = true
            order.append(next)
        }
        return order
    }

    /// One cycle in data-flow order (`a` feeds `b` feeds `a`), or nil when there is none.
    func cycle() -> [Int]? {
        let partial = partialOrder()
        guard partial.count < sources.count else { return nil }
        let ordered = Set(partial)
        // Every layer left over reads at least one other leftover layer, so walking
        // backwards along those reads must come round to a layer already visited.
        guard var current = sources.indices.first(where: { !ordered.contains($0) }) else { return nil }
        var path: [Int] = []
        var seen: [Int: Int] = [:]
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            let next = sources[current].compactMap { source -> Int? in
                if case .layer(let other) = source, !ordered.contains(other) { return other }
                return nil
            }.first
            guard let next else { return nil }
            current = next
        }
        guard let start = seen[current] else { return nil }
        let cycle = Array(path[start...].reversed())
        // Starting at the first layer written reads in the order of the spec.
        guard let first = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) else { return cycle }
        return Array(cycle[first...] + cycle[..<first])
    }

    /// The layers that can run before the first cycle blocks the rest.
    private func partialOrder() -> [Int] {
        var done = [Bool](repeating: false, count: sources.count)
        var order: [Int] = []
        var progress = true
        while progress {
            progress = false
            for position in sources.indices where !done[position] {
                let ready = sources[position].allSatisfy { source in
                    if case .layer(let other) = source { return done[other] }
                    return true
                }
                if ready {
                    done[position] = true
                    order.append(position)
                    progress = true
                }
            }
        }
        return order
    }
}

import Foundation

/// Runs a batch producer on one background thread, keeping up to `depth`
/// finished batches ready (`DataLoader`'s `prefetch`). One thread, not a pool:
/// the model's kernels already use both cores, and reading plus transforming a
/// batch is light next to a training step, so one thread hides it without
/// oversubscribing. Batches come out in production order whatever the timing.
final class Prefetcher<Item> {
    private let condition = NSCondition()
    private var ready: [Result<Item, Error>] = []
    private var finished = false
    private var cancelled = false
    private let depth: Int

    init(depth: Int, produce: @escaping () throws -> Item?) {
        self.depth = Swift.max(1, depth)
        let thread = Thread { [self] in run(produce) }
        thread.name = "flint.data.prefetch"
        thread.qualityOfService = .utility
        thread.start()
    }

    private func run(_ produce: () throws -> Item?) {
        while true {
            condition.lock()
            while ready.count >= depth && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { return }
            let result: Result<Item, Error>?
            do {
                result = try produce().map { .success($0) }
            } catch {
                result = .failure(error)
            }
            condition.lock()
            if let result { ready.append(result) }
            var done = result == nil
            if case .failure = result { done = true }
            finished = done
            condition.broadcast()
            condition.unlock()
            if done { return }
        }
    }

    /// The next item, waiting for it if needed; nil when the producer is done.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        guard !ready.isEmpty else { return nil }
        let result = ready.removeFirst()
        condition.broadcast()
        return try result.get()
    }

    /// Stops producing after the item in progress; the thread then exits. The
    /// thread keeps this object alive until then, so owners must call it.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

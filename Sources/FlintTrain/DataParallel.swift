import Foundation
import Flint
import FlintNN
import FlintData
import FlintDistributed

/// The trainer's side of a data-parallel job, with PyTorch DDP's semantics:
/// ranks check that they agree on the spec, the data and the checkpoint; rank
/// 0's parameters and buffers are broadcast; gradients are averaged over flat
/// buckets at each optimizer step (never on accumulation micro-batches, DDP's
/// `no_sync`); the decisions a rank could take alone (a non-finite loss, a
/// signal, `max_time`) are agreed on so every rank runs the same collectives.
/// With one process every method is the identity, and training is exactly as without it.
final class DataParallel {
    let world: Communicator
    private let reducer: GradientReducer

    init(world: Communicator, model: Module) {
        self.world = world
        reducer = GradientReducer(parameters: model.namedParameters().map(\.tensor), communicator: world)
    }

    var isMain: Bool { world.rank == 0 }
    var isDistributed: Bool { world.size > 1 }
    private var reportedSeconds = 0.0

    /// Seconds spent in gradient allreduces since the last call (waits for slower ranks included), for train.log and bench/ddp.
    func takeReduceSeconds() -> Double {
        defer { reportedSeconds = reducer.reduceSeconds }
        return reducer.reduceSeconds - reportedSeconds
    }

    /// Before the first step. Ranks that disagree on the spec, the data or the
    /// checkpoint refuse to start (`badInput`, naming the rank). Then every rank
    /// takes rank 0's parameters and buffers, and draws dropout from its own
    /// stream of the default generator, derived from (seed, rank) or restored.
    func start(plan: RunPlan, resumed: Checkpoint?) throws {
        guard isDistributed else { return }
        // The ranks on one machine share its cores: each takes its part, so threads never oversubscribe
        // them, unless --threads or FLINT_NUM_THREADS chose a count.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let local = Launcher.localRanks(), Parallelism.threads == cores, ProcessInfo.processInfo.environment["FLINT_NUM_THREADS"] == nil {
            Parallelism.threads = Swift.max(1, cores / local)
        }
        let mine = [Fingerprint.text(plan.config), try Fingerprint.data(plan), resumed.map(Fingerprint.checkpoint) ?? 0]
        let all = try world.allgather(mine)
        for (rank, theirs) in all.enumerated() where theirs != all[0] {
            let parts = zip(["spec", "data", "checkpoint"], zip(theirs, all[0])).filter { $0.1.0 != $0.1.1 }.map(\.0)
            throw TrainError.badInput("rank \(rank) of \(world.size) disagrees with rank 0 on the \(parts.joined(separator: " and ")) "
                                      + "(every rank must train the same spec on the same data from the same checkpoint); not starting")
        }
        try broadcastTensors(plan.model.stateDict().map(\.tensor), communicator: world)
        if plan.syncBatchNorm { synchronizeBatchNorm(plan.model) }
        guard world.rank > 0 else { return }
        if let words = resumed?.rng["default_rank\(world.rank)"] {
            try Generator.default.restore(words)
        } else {
            // Rank 0 keeps the stream one process would draw; the others derive theirs from (seed, rank).
            let base = resumed == nil ? plan.seed : (Generator.default.snapshot.first ?? 0)
            Generator.default.seed(Fingerprint.mix(base, UInt64(world.rank)))
        }
    }

    /// `torch.nn.SyncBatchNorm.convert_sync_batchnorm`: every batch norm layer's
    /// training statistics become sums over the ranks.
    private func synchronizeBatchNorm(_ module: Module) {
        if let bn = module as? BatchNormBase {
            let world = self.world
            bn.sumAcrossProcesses = { try world.sumAcrossRanks($0) }
        }
        for child in module.childSlots { synchronizeBatchNorm(child.module) }
    }

    /// Rank 0's buffers (batch norm's running statistics) on every rank, before
    /// evaluating: DDP broadcasts them before each forward (`broadcast_buffers`),
    /// and only their eval-mode use can tell the difference.
    func shareBuffers(_ model: Module) throws {
        guard isDistributed else { return }
        try broadcastTensors(model.namedBuffers().map(\.tensor), communicator: world)
    }

    /// Replaces every gradient by its average over the ranks.
    func averageGradients() throws { try reducer.averageGradients() }

    /// The ranks whose loss is not finite: a guard every rank applies alike.
    func ranksWithNonFiniteLoss(_ value: Double) throws -> [Int] {
        guard isDistributed else { return value.isFinite ? [] : [0] }
        let flags = try world.allgather(value.isFinite ? 0 : 1 as UInt64)
        return flags.indices.filter { flags[$0] != 0 }
    }

    /// What all ranks agree on after a step: its loss sum and samples over
    /// every rank, and whether any rank was signalled or ran out of time.
    struct Agreement {
        var lossSum: Double
        var samples: Int
        var signal: Int32?
        var timeUp: Bool
    }

    /// One small allreduce (sums) per step; without distribution, the values as given.
    func agree(lossSum: Double = 0, samples: Int = 0, signal: Int32?, timeUp: Bool) throws -> Agreement {
        guard isDistributed else { return Agreement(lossSum: lossSum, samples: samples, signal: signal, timeUp: timeUp) }
        let v = try world.allreduce([lossSum, Double(samples), signal == SIGINT ? 1 : 0, signal == SIGTERM ? 1 : 0, timeUp ? 1 : 0], .sum)
        let agreed = Agreement(lossSum: v[0], samples: Int(v[1]), signal: v[2] > 0 ? SIGINT : v[3] > 0 ? SIGTERM : nil, timeUp: v[4] > 0)
        watch.lock()
        let now = ProgressReporter.now()
        if let last = lastAgreement { longestStep = Swift.max(longestStep, now - last) }
        lastAgreement = now
        if agreed.signal != nil { stopAgreed = true }
        watch.unlock()
        return agreed
    }

    // The signal watchdog's state, shared with its thread.
    private let watch = NSLock()
    private var lastAgreement: Double?
    private var longestStep = 0.0
    private var stopAgreed = false
    private var watching = false

    /// Under mpirun a signal reaches every rank, and the ranks stop together at
    /// the next step. When that agreement does not come within 10 s (or three
    /// of the longest steps), a rank is gone (killed) and this one waits in a
    /// collective for it: exit as the signal asks, so mpirun ends the job now
    /// instead of after its kill timeout.
    func watchSignals() {
        guard isDistributed else { return }
        watch.lock()
        watching = true
        watch.unlock()
        let rank = world.rank
        Thread.detachNewThread { [self] in
            var since: Double?
            while true {
                usleep(100_000)
                watch.lock()
                let (active, agreed, patience) = (watching, stopAgreed, Swift.max(10, 3 * longestStep))
                watch.unlock()
                guard active, !agreed else { return }
                guard let sig = InterruptHandler.pending else { continue }
                let now = ProgressReporter.now()
                since = since ?? now
                if now - (since ?? now) > patience {
                    FileHandle.standardError.write(Data("flint: rank \(rank): the other ranks did not stop with it \(Int(patience)) s after the signal (one is gone?); exiting\n".utf8))
                    _exit(128 + sig)
                }
            }
        }
    }

    func stopWatching() {
        watch.lock()
        watching = false
        watch.unlock()
    }

    /// Adds what a checkpoint of a job holds beyond rank 0's state: the world
    /// size and every other rank's default generator (its dropout stream).
    func complete(_ checkpoint: inout Checkpoint) throws {
        checkpoint.trainer["world_size"] = Double(world.size)
        guard isDistributed else { return }
        let all = try world.allgather(Generator.default.snapshot)
        for rank in 1..<all.count { checkpoint.rng["default_rank\(rank)"] = all[rank] }
    }

    /// Waits for every rank (before exiting, so rank 0 finishes its checkpoint first).
    func barrier() { try? world.barrier() }
}

/// 64-bit FNV-1a hashes that ranks compare before they start.
enum Fingerprint {
    static func bytes(_ raw: UnsafeRawBufferPointer, into h: inout UInt64) {
        for b in raw {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01B3
        }
    }

    static func text(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var copy = s
        copy.withUTF8 { bytes(UnsafeRawBufferPointer($0), into: &h) }
        return h
    }

    /// The split sizes and up to 32 samples of each split (its first and last 16).
    static func data(_ plan: RunPlan) throws -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for loader in [plan.train, plan.val, plan.test] {
            guard let source = loader?.dataset else { continue }
            var n = UInt64(source.count)
            withUnsafeBytes(of: &n) { bytes($0, into: &h) }
            let positions = Array(Set(Array(0..<Swift.min(16, source.count)) + Array(Swift.max(0, source.count - 16)..<source.count))).sorted()
            guard !positions.isEmpty else { continue }
            let rows = try source.read(positions)
            for t in rows.inputs.map(\.tensor) + [rows.y] { t.withContiguousBytes { bytes($0, into: &h) } }
        }
        return h
    }

    /// The checkpoint's position and model state.
    static func checkpoint(_ c: Checkpoint) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var position = [UInt64(c.epoch), UInt64(c.step), UInt64(c.dataBatchIndex)]
        position.withUnsafeBytes { bytes($0, into: &h) }
        for (name, t) in c.model {
            h ^= text(name)
            t.withContiguousBytes { bytes($0, into: &h) }
        }
        return h
    }

    /// splitmix64 of (a, b): a seed for rank b's stream from seed a.
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a ^ (b &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

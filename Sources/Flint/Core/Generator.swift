import Foundation

/// A seeded pseudo-random generator (xoshiro256**), whose whole state can be
/// saved and restored, so a resumed run draws exactly the numbers it would have.
public final class Generator: @unchecked Sendable {
    /// The four state words, in a value: draws work on it directly, and bulk draws (`withDraws`) on a local copy
    /// held in registers.
    private var words: Xoshiro256

    /// The four state words.
    public var state: [UInt64] { [words.s0, words.s1, words.s2, words.s3] }
    private var spareNormal: Double?

    public init(seed: UInt64 = 0) {
        words = Xoshiro256(Generator.expand(seed))
    }

    /// The process-wide default generator (`torch.manual_seed` seeds it).
    nonisolated(unsafe) public static var `default` = Generator(seed: 0)

    /// `torch.manual_seed(seed)`.
    public static func manualSeed(_ seed: UInt64) { Generator.default.seed(seed) }

    public func seed(_ seed: UInt64) {
        words = Xoshiro256(Generator.expand(seed))
        spareNormal = nil
    }

    private static func expand(_ seed: UInt64) -> [UInt64] {
        // splitmix64 spreads a small seed over the 256-bit state.
        var z = seed
        return (0..<4).map { _ in
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
    }

    /// The full state (four words and the cached normal), for checkpoints.
    public var snapshot: [UInt64] {
        state + [spareNormal == nil ? 0 : 1, spareNormal?.bitPattern ?? 0]
    }

    /// Restores a state taken with `snapshot`.
    public func restore(_ words: [UInt64]) throws {
        guard words.count == 6 else {
            throw TensorError.invalidArgument(op: "Generator.restore", message: "expected 6 state words, got \(words.count)")
        }
        self.words = Xoshiro256(Array(words[0..<4]))
        spareNormal = words[4] == 1 ? Double(bitPattern: words[5]) : nil
    }

    @inline(__always)
    public func next() -> UInt64 { words.next() }

    /// Runs `body` with the generator's state in a local value (in registers, with no access to the object per
    /// draw) and keeps where it ends: the same numbers as drawing one by one, for loops that fill a tensor.
    @inline(__always)
    func withDraws<R>(_ body: (inout Xoshiro256) throws -> R) rethrows -> R {
        var local = words
        defer { words = local }
        return try body(&local)
    }

    public func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 24 random bits.
    public func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Uniform integer in `0..<bound` without modulo bias.
    public func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        var x = next()
        while x >= limit { x = next() }
        return Int(x % b)
    }

    /// Standard normal by the Box–Muller transform.
    public func nextNormal() -> Double {
        if let s = spareNormal { spareNormal = nil; return s }
        var u1 = nextDouble()
        while u1 <= 0 { u1 = nextDouble() }
        let u2 = nextDouble()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }

    /// A random permutation of `0..<n` (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) }
        return p
    }
}

/// xoshiro256**'s state and step.
struct Xoshiro256 {
    var s0, s1, s2, s3: UInt64

    init(_ w: [UInt64]) { (s0, s1, s2, s3) = (w[0], w[1], w[2], w[3]) }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) from the top 53 (double) or 24 (float) bits.
    @inline(__always)
    mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    @inline(__always)
    mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }
}

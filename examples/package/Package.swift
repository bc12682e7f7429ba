// swift-tools-version:6.0
import PackageDescription

// A Swift program that uses Flint as a library, the way a user's package would:
// by URL and version. It builds a small classifier in Swift, trains it with its
// own loop, and saves a checkpoint that `flint eval` reads.
let package = Package(
    name: "TinyClassifier",
    dependencies: [
        .package(url: "https://github.com/flint-ml/flint.git", from: "0.1.0"),
    ],
    targets: [
        .executableTarget(name: "TinyClassifier", dependencies: [
            .product(name: "Flint", package: "flint"),
            .product(name: "FlintNN", package: "flint"),
            .product(name: "FlintHDF5", package: "flint"),
            .product(name: "FlintTrain", package: "flint"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

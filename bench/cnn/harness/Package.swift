// swift-tools-version:6.0
import PackageDescription

// One epoch of the benchmark CNN from Swift, without the trainer, with a time per
// phase; kept out of the root package. Build from the repository root with
//   swift build -c release --package-path bench/cnn/harness --scratch-path .build-cnn-harness
let package = Package(
    name: "CNNHarness",
    dependencies: [.package(name: "Flint", path: "../../..")],
    targets: [
        .executableTarget(name: "CNNHarness", dependencies: [
            .product(name: "FlintNN", package: "Flint"),
            .product(name: "FlintHDF5", package: "Flint"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

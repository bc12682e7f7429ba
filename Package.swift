// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Flint",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Flint", targets: ["Flint"]),
        .library(name: "FlintNN", targets: ["FlintNN"]),
        .library(name: "FlintHDF5", targets: ["FlintHDF5"]),
        .library(name: "FlintData", targets: ["FlintData"]),
        .library(name: "FlintSpec", targets: ["FlintSpec"]),
        .library(name: "FlintTrain", targets: ["FlintTrain"]),
        .executable(name: "flint", targets: ["flint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Flint", dependencies: ["CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "FlintNN", dependencies: ["Flint"]),
        .target(name: "FlintHDF5", dependencies: ["CHDF5", "Flint"]),
        .target(name: "FlintData", dependencies: ["Flint", "FlintHDF5", "CZlib"]),
        .target(name: "FlintSpec", dependencies: ["Flint", "FlintNN", "FlintData", .product(name: "Yams", package: "Yams")]),
        .target(name: "FlintTrain", dependencies: ["Flint", "FlintNN", "FlintHDF5", "FlintData", "FlintSpec"]),
        .executableTarget(name: "flint", dependencies: [
            "FlintTrain", "FlintSpec", "FlintData", "FlintHDF5",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "FlintTests", dependencies: ["Flint"]),
        .testTarget(name: "FlintNNTests", dependencies: ["FlintNN"]),
        .testTarget(name: "FlintHDF5Tests", dependencies: ["FlintHDF5"]),
        .testTarget(name: "FlintDataTests", dependencies: ["FlintData"]),
        .testTarget(name: "FlintSpecTests", dependencies: ["FlintSpec"]),
        .testTarget(name: "FlintTrainTests", dependencies: ["FlintTrain"]),
    ],
    swiftLanguageModes: [.v5]
)

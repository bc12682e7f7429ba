// swift-tools-version:6.0
import PackageDescription

// The op benchmarks, kept out of the root package: build with
//   swift build -c release --package-path bench/ops --scratch-path .build-bench
let package = Package(
    name: "FlintOpsBench",
    dependencies: [.package(name: "Flint", path: "../..")],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .executableTarget(name: "FlintOpsBench", dependencies: [.product(name: "Flint", package: "Flint"), "COpenBLAS"],
                          swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
    ],
    swiftLanguageModes: [.v5]
)

// swift-tools-version:6.0
// The data-loader benchmark: builds against the Flint package in the repository root.
import PackageDescription

let package = Package(
    name: "FlintDataBench",
    dependencies: [.package(name: "Flint", path: "../..")],
    targets: [
        .executableTarget(name: "data-bench", dependencies: [
            .product(name: "FlintNN", package: "Flint"),
            .product(name: "FlintData", package: "Flint"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

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
        .library(name: "FlintDistributed", targets: ["FlintDistributed"]),
        .library(name: "FlintSpec", targets: ["FlintSpec"]),
        .library(name: "FlintTrain", targets: ["FlintTrain"]),
        .library(name: "FlintExport", targets: ["FlintExport"]),
        .library(name: "FlintReport", targets: ["FlintReport"]),
        .executable(name: "flint", targets: ["flint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        // Test-only: the property-based fuzz harness (Tests/FlintTrainTests/Fuzz); packages that
        // depend on Flint's libraries never resolve it.
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // OpenBLAS (libopenblas-dev) and libhdf5 (libhdf5-dev) are opened with dlopen on first
        // use, not linked, so that `flint` starts fast (see the shims; bench/startup).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        // Open MPI (openmpi-bin) is opened with dlopen only when a launcher (mpirun, srun) started the process.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // PNG and JPEG decoding for `flint import images` (libpng, libjpeg-turbo); PNG plots.
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev", "libjpeg-dev"])]),
        // Float exp/log/tanh/softmax kernels in C, built for AVX-512, AVX2 and baseline x86-64 and
        // chosen at load time (Swift has no per-function target attributes).
        .target(name: "CFlintKernels", path: "Sources/CFlintKernels"),
        .target(name: "Flint", dependencies: ["CBLAS", "CFlintKernels"]),
        .target(name: "FlintNN", dependencies: ["Flint", "CFlintKernels"]),
        .target(name: "FlintHDF5", dependencies: ["CHDF5", "Flint"]),
        .target(name: "FlintData", dependencies: ["Flint", "FlintHDF5", "CZlib", "CImageCodecs"]),
        .target(name: "FlintDistributed", dependencies: ["CMPI", "Flint"]),
        .target(name: "FlintSpec", dependencies: ["Flint", "FlintNN", "FlintData", .product(name: "Yams", package: "Yams")]),
        // ONNX's schema as swift-protobuf generated it from onnx.proto3 (see generate.sh there); never edited by hand.
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["generate.sh"]),
        // TensorBoard's Event and Summary records, generated the same way (see generate.sh there).
        .target(name: "TensorBoardProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["generate.sh"]),
        // The trainer writes TensorBoard event files as it trains, so their writer lives here.
        .target(name: "FlintTrain", dependencies: ["Flint", "FlintNN", "FlintHDF5", "FlintData", "FlintDistributed", "FlintSpec",
                                                   "TensorBoardProto"]),
        // `flint export`: ONNX (with the spec's transforms), npz, h5; safetensors through FlintTrain's codec.
        .target(name: "FlintExport", dependencies: ["Flint", "FlintNN", "FlintHDF5", "FlintData", "FlintSpec", "FlintTrain", "ONNXProto"]),
        // `flint plot` and `flint runs`: learning curves as SVG or PNG and tables of run directories.
        // PlotFont.py writes PlotFont.swift, the bitmap font of PNG plots, which libpng encodes.
        .target(name: "FlintReport", dependencies: ["Flint", "FlintTrain", "CImageCodecs"], exclude: ["PlotFont.py"]),
        // The Makefile links the Swift runtime and Foundation statically (`--static-swift-stdlib`):
        // resolving their symbols across a dozen shared libraries took ~10 ms of every start
        // (bench/startup). No target carries unsafe flags, so the libraries build as a dependency.
        .executableTarget(name: "flint", dependencies: [
            "FlintTrain", "FlintExport", "FlintReport", "FlintSpec", "FlintData", "FlintHDF5",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // What the test targets share: finite differences, temporary directories, the repository's folders.
        .target(name: "FlintTestSupport", dependencies: ["Flint"], path: "Tests/FlintTestSupport"),
        .testTarget(name: "FlintTests", dependencies: ["Flint", "FlintTestSupport"]),
        .testTarget(name: "FlintNNTests", dependencies: ["FlintNN", "FlintTestSupport"]),
        .testTarget(name: "FlintHDF5Tests", dependencies: ["FlintHDF5", "FlintTestSupport"]),
        .testTarget(name: "FlintDataTests", dependencies: ["FlintData", "FlintTestSupport"]),
        .testTarget(name: "FlintDistributedTests", dependencies: ["FlintDistributed", "FlintTestSupport"]),
        .testTarget(name: "FlintSpecTests", dependencies: ["FlintSpec", "FlintTestSupport"]),
        .testTarget(name: "FlintTrainTests", dependencies: ["FlintTrain", "FlintExport", "FlintReport", "FlintTestSupport",
                                                        .product(name: "PropertyBased", package: "swift-property-based")]),
    ],
    swiftLanguageModes: [.v5]
)

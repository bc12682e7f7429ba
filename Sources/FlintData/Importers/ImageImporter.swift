import CImageCodecs
import Foundation
import Flint
import FlintHDF5

/// Decoded 8-bit pixels of one image, channel-first `[C, H, W]`.
public struct DecodedImage: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var pixels: [UInt8]

    /// The same image with `channels` (1 or 3): RGB to gray with PIL's
    /// `convert("L")` weights (ITU-R 601-2, fixed point), gray to RGB by copying.
    public func converted(to target: Int) -> DecodedImage {
        guard target != channels else { return self }
        let n = height * width
        if target == 1 {
            let gray = (0..<n).map { i -> UInt8 in
                let r = UInt32(pixels[i]), g = UInt32(pixels[n + i]), b = UInt32(pixels[2 * n + i])
                return UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
            return DecodedImage(channels: 1, height: height, width: width, pixels: gray)
        }
        return DecodedImage(channels: 3, height: height, width: width, pixels: pixels + pixels + pixels)
    }

    /// Decodes a PNG or JPEG file (chosen by its signature, not its name).
    public static func decode(file path: String) throws -> DecodedImage {
        if let problem = FileSafety.problemReading(path) { throw DataError.invalid("\(path): \(problem)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.invalid("\(path): cannot read the file") }
        var image = flint_image()
        let ok: Int32 = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return 0 }
            if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return flint_png_decode(base, raw.count, &image) }
            if data.starts(with: [0xFF, 0xD8]) { return flint_jpeg_decode(base, UInt(raw.count), &image) }
            return -1
        }
        defer { flint_image_free(&image) }
        guard ok == 1, let pixels = image.pixels else {
            if ok == -1 { throw DataError.invalid("\(path): neither a PNG nor a JPEG file") }
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw DataError.invalid("\(path): cannot decode the image: \(message)")
        }
        let c = Int(image.channels), h = Int(image.height), w = Int(image.width)
        // Interleaved rows (HWC) to planes (CHW).
        var chw = [UInt8](repeating: 0, count: c * h * w)
        for y in 0..<h {
            for x in 0..<w {
                for k in 0..<c { chw[k * h * w + y * w + x] = pixels[(y * w + x) * c + k] }
            }
        }
        return DecodedImage(channels: c, height: h, width: w, pixels: chw)
    }
}

/// How `importImages` reads a folder of classes.
public struct ImageImportOptions: Sendable {
    public enum ColorMode: String, Sendable, CaseIterable {
        /// Gray when every image is gray, else RGB.
        case auto, gray, rgb
    }

    public var mode: ColorMode
    public var split: ImportSplit
    public var overwrite: Bool

    public init(mode: ColorMode = .auto, split: ImportSplit = ImportSplit(), overwrite: Bool = false) {
        self.mode = mode
        self.split = split
        self.overwrite = overwrite
    }
}

/// What an image import wrote.
public struct ImageImportReport: Sendable {
    public var classes: [String]
    public var countsPerClass: [Int]
    /// `[C, H, W]` of every image.
    public var shape: [Int]
    public var groups: [(String, Int)]

    public var description: String {
        var lines = ["read \(countsPerClass.reduce(0, +)) images of shape \(shape) in \(classes.count) classes: "
                     + zip(classes, countsPerClass).map { "\($0) \($1)" }.joined(separator: ", ")]
        for (group, count) in groups { lines.append("wrote \(group)/images uint8 [\(count), \(shape.map(String.init).joined(separator: ", "))] and \(group)/labels") }
        return lines.joined(separator: "\n")
    }
}

/// Imports a folder with one subfolder of PNG or JPEG images per class
/// (`torchvision.datasets.ImageFolder`: classes in sorted order, labels their
/// index) into `SPLIT/images` uint8 `[N, C, H, W]` and `SPLIT/labels` int64.
/// Every image must have the same height and width; one that differs is an
/// error naming the file and both shapes.
///
/// Images are decoded one at a time and written a block of rows at a time, so
/// memory does not grow with the folder. `auto` decodes images until one has
/// colour (every image when all are gray) before the pass that writes them.
@discardableResult
public func importImages(_ directory: String, output: String, options: ImageImportOptions = ImageImportOptions()) throws -> ImageImportReport {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw DataError.invalid("\(directory): no such directory")
    }
    let extensions: Set<String> = ["png", "jpg", "jpeg"]
    let classes = try fm.contentsOfDirectory(atPath: directory).filter { name in
        var isDir: ObjCBool = false
        return !name.hasPrefix(".") && fm.fileExists(atPath: directory + "/" + name, isDirectory: &isDir) && isDir.boolValue
    }.sorted()
    guard !classes.isEmpty else { throw DataError.invalid("\(directory): has no class subfolders (one folder of images per class)") }
    var files: [(path: String, label: Int)] = []
    var counts: [Int] = []
    for (label, name) in classes.enumerated() {
        let folder = directory + "/" + name
        let images = try fm.contentsOfDirectory(atPath: folder)
            .filter { extensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
        guard !images.isEmpty else { throw DataError.invalid("\(folder): class '\(name)' has no PNG or JPEG files") }
        files += images.map { (folder + "/" + $0, label) }
        counts.append(images.count)
    }
    let first = try DecodedImage.decode(file: files[0].path)
    let channels: Int
    switch options.mode {
    case .gray: channels = 1
    case .rgb: channels = 3
    case .auto:
        let colour = try files.dropFirst().contains { try DecodedImage.decode(file: $0.path).channels != 1 }
        channels = first.channels != 1 || colour ? 3 : 1
    }
    let height = first.height, width = first.width
    let labels = files.map { Int64($0.label) }
    let groups = try options.split.groups(count: files.count, labels: labels)
    try writeImport(to: output, overwrite: options.overwrite, format: "images", sources: [directory]) { file in
        try file.setAttribute("source_directory", URL(fileURLWithPath: directory).lastPathComponent)
        for (name, rows) in groups {
            let group = try file.createGroup(name)
            try options.split.describe(group)
            let images = try group.createDataset("images", dtype: .uint8, shape: [rows.count, channels, height, width])
            try images.setAttribute("color_mode", channels == 1 ? "gray" : "rgb")
            let writer = try RowWriter<UInt8>(images)
            for r in rows {
                let image = try DecodedImage.decode(file: files[r].path)
                guard image.height == height && image.width == width else {
                    throw DataError.wrongShape(place: files[r].path, expected: [first.channels, height, width],
                                               got: [image.channels, image.height, image.width])
                }
                try writer.append(image.converted(to: channels).pixels)
            }
            try writer.finish()
            let y = try group.createDataset("labels", tensor: try Tensor(rows.map { labels[$0] }))
            try y.setAttribute("classes", classes)
        }
    }
    return ImageImportReport(classes: classes, countsPerClass: counts, shape: [channels, height, width],
                             groups: groups.map { ($0.0, $0.1.count) })
}

import FlintData

/// Builds a transform; `seed` seeds a random one (the list's seed plus the transform's position).
public typealias TransformBuilder = (_ entry: SpecEntry, _ seed: UInt64) throws -> Transform

public typealias TransformType = Registration<TransformBuilder>

/// Every transform of the spec, named after its `torchvision.transforms` class.
public enum TransformTypes {
    public static let byName: [String: TransformType] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    public static let all: [TransformType] = [
        TransformType(TypeSchema("to_tensor", pytorch: "torchvision.transforms.ToTensor",
                                 doc: "uint8 values in [0, 255] to float32 in [0, 1].")) { _, _ in
            ToTensor()
        },
        TransformType(TypeSchema("normalize", pytorch: "torchvision.transforms.Normalize",
                                 doc: "(x - mean) / std per channel.", fields: [
            FieldSchema("mean", .floats(count: nil), .required, doc: "Mean of each channel."),
            FieldSchema("std", .floats(count: nil), .required, range: .positive,
                        doc: "Standard deviation of each channel."),
        ], check: { entry, report in
            guard let mean = entry.doubles("mean"), let std = entry.doubles("std") else { return }
            if mean.count != std.count {
                report("mean and std must have one value per channel each, got \(mean.count) and \(std.count)",
                       "std")
            }
        }), example: "mean: [0.5], std: [0.25]") { e, _ in
            try Normalize(mean: try e.doublesValue("mean"), std: try e.doublesValue("std"))
        },
        TransformType(TypeSchema("random_crop", pytorch: "torchvision.transforms.RandomCrop",
                                 doc: "Crops a random window, after optional padding.", fields: [
            FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                        doc: "Output size `s` or `[h, w]`."),
            FieldSchema("padding", .intOrTuple(count: 2, keywords: []), .optional, range: .nonNegative,
                        doc: "Padding on each border before cropping (`p` or `[left/right, top/bottom]`)."),
            FieldSchema("pad_if_needed", .bool, .defaulted(.bool(RandomCrop.Defaults.padIfNeeded)),
                        doc: "Pad images smaller than `size`."),
            FieldSchema("fill", .float, .defaulted(.double(RandomCrop.Defaults.fill)), doc: "Value of constant padding."),
            FieldSchema("padding_mode", .choice(["constant", "edge", "reflect", "symmetric"]),
                        .defaulted(.string(RandomCrop.Defaults.paddingMode.rawValue)), doc: "How padding is filled."),
        ]), example: "size: 2") { e, seed in
            try RandomCrop(size: try e.intsValue("size", count: 2), padding: e.ints("padding"),
                           padIfNeeded: try e.boolValue("pad_if_needed"), fill: [try e.doubleValue("fill")],
                           paddingMode: try e.choiceValue("padding_mode", as: PaddingMode.self), seed: seed)
        },
        TransformType(TypeSchema("random_horizontal_flip", pytorch: "torchvision.transforms.RandomHorizontalFlip",
                                 doc: "Mirrors the last dimension with probability p.", fields: [
            FieldSchema("p", .float, .defaulted(.double(RandomFlip.Defaults.p)), range: .unitClosed, doc: "Probability of a flip."),
        ])) { e, seed in
            try RandomFlip(horizontal: true, p: try e.doubleValue("p"), seed: seed)
        },
        TransformType(TypeSchema("random_vertical_flip", pytorch: "torchvision.transforms.RandomVerticalFlip",
                                 doc: "Mirrors the height dimension with probability p.", fields: [
            FieldSchema("p", .float, .defaulted(.double(RandomFlip.Defaults.p)), range: .unitClosed, doc: "Probability of a flip."),
        ])) { e, seed in
            try RandomFlip(horizontal: false, p: try e.doubleValue("p"), seed: seed)
        },
        TransformType(TypeSchema("resize", pytorch: "torchvision.transforms.Resize",
                                 doc: "Resizes to `[h, w]`, or the shorter side to `s` keeping the aspect ratio (no antialiasing).",
                                 fields: [
            FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                        doc: "Shorter side `s`, or `[h, w]`."),
            interpolation(Resize.Defaults.interpolation),
            FieldSchema("max_size", .int, .optional, range: .positive,
                        doc: "Cap on the longer side when `size` is one number."),
        ]), example: "size: 2") { e, _ in
            // Without `count` one number stays one number: torchvision's "shorter side".
            try Resize(size: try e.intsValue("size"), interpolation: try e.choiceValue("interpolation", as: Interpolation.self),
                       maxSize: e.int("max_size"))
        },
        TransformType(TypeSchema("center_crop", pytorch: "torchvision.transforms.CenterCrop",
                                 doc: "Crops the central window.", fields: [
            FieldSchema("size", .intOrTuple(count: 2, keywords: []), .required, range: .positive,
                        doc: "Output size `s` or `[h, w]`."),
        ]), example: "size: 2") { e, _ in
            try CenterCrop(size: try e.intsValue("size", count: 2))
        },
        TransformType(TypeSchema("random_rotation", pytorch: "torchvision.transforms.RandomRotation",
                                 doc: "Rotates by an angle drawn from `[-degrees, degrees]` or `[lo, hi]`; the size is kept.", fields: [
            FieldSchema("degrees", .floats(count: nil), .required, doc: "`d` for `[-d, d]`, or `[lo, hi]`."),
            interpolation(RandomRotation.Defaults.interpolation),
            center,
            fill,
        ]), example: "degrees: 10") { e, seed in
            try RandomRotation(degrees: try e.doublesValue("degrees"),
                               interpolation: try e.choiceValue("interpolation", as: Interpolation.self),
                               center: e.doubles("center"), fill: try e.doublesValue("fill"), seed: seed)
        },
        TransformType(TypeSchema("random_affine", pytorch: "torchvision.transforms.RandomAffine",
                                 doc: "A random rotation, shift, scale and shear per sample; the size is kept.", fields: [
            FieldSchema("degrees", .floats(count: nil), .required, doc: "`d` for `[-d, d]`, or `[lo, hi]`; 0 for none."),
            FieldSchema("translate", .floats(count: 2), .optional, range: .unitClosed,
                        doc: "Largest shift as fractions `[a, b]` of the width and height."),
            FieldSchema("scale", .floats(count: 2), .optional, range: .positive, doc: "Scale drawn from `[lo, hi]`."),
            FieldSchema("shear", .floats(count: nil), .optional,
                        doc: "`s` for x-shear in `[-s, s]`, `[lo, hi]`, or `[x0, x1, y0, y1]`, in degrees."),
            interpolation(RandomAffine.Defaults.interpolation),
            center,
            fill,
        ]), example: "degrees: 10") { e, seed in
            try RandomAffine(degrees: try e.doublesValue("degrees"), translate: e.doubles("translate"),
                             scale: e.doubles("scale"), shear: e.doubles("shear"),
                             interpolation: try e.choiceValue("interpolation", as: Interpolation.self),
                             center: e.doubles("center"), fill: try e.doublesValue("fill"), seed: seed)
        },
        TransformType(TypeSchema("color_jitter", pytorch: "torchvision.transforms.ColorJitter",
                                 doc: "Random brightness, contrast, saturation and hue, in random order, on float images in [0, 1] "
                                     + "or uint8 images (computed in float32 and truncated back, as torchvision does).", fields: [
            jitter("brightness", ColorJitter.Defaults.brightness, "`b` for factors in `[max(0, 1 - b), 1 + b]`, or `[lo, hi]`."),
            jitter("contrast", ColorJitter.Defaults.contrast, "`c` for factors in `[max(0, 1 - c), 1 + c]`, or `[lo, hi]`."),
            jitter("saturation", ColorJitter.Defaults.saturation, "`s` for factors in `[max(0, 1 - s), 1 + s]`, or `[lo, hi]`; needs 3 channels."),
            jitter("hue", ColorJitter.Defaults.hue, "`h` in [0, 0.5] for shifts in `[-h, h]`, or `[lo, hi]`; needs 3 channels."),
        ])) { e, seed in
            try ColorJitter(brightness: try e.doublesValue("brightness"), contrast: try e.doublesValue("contrast"),
                            saturation: try e.doublesValue("saturation"), hue: try e.doublesValue("hue"), seed: seed)
        },
        TransformType(TypeSchema("random_erasing", pytorch: "torchvision.transforms.RandomErasing",
                                 doc: "With probability p, fills a random rectangle (on normalised tensors, after `normalize`).", fields: [
            FieldSchema("p", .float, .defaulted(.double(RandomErasing.Defaults.p)), range: .unitClosed, doc: "Probability of erasing."),
            FieldSchema("scale", .floats(count: 2), .defaulted(.doubles(RandomErasing.Defaults.scale)), range: .unitClosed,
                        doc: "Range of the erased area as a fraction of the image."),
            FieldSchema("ratio", .floats(count: 2), .defaulted(.doubles(RandomErasing.Defaults.ratio)), range: .positive,
                        doc: "Range of the aspect ratio of the erased area."),
            FieldSchema("value", .floats(count: nil), .defaulted(.doubles(RandomErasing.Defaults.value)),
                        doc: "Fill value, one or one per channel (torchvision's `'random'` is not offered)."),
        ])) { e, seed in
            try RandomErasing(p: try e.doubleValue("p"), scale: try e.doublesValue("scale"),
                              ratio: try e.doublesValue("ratio"), value: .constant(try e.doublesValue("value")), seed: seed)
        },
        TransformType(TypeSchema("gaussian_noise", pytorch: "torchvision.transforms.v2.GaussianNoise",
                                 doc: "Adds normal noise to float images.", fields: [
            FieldSchema("mean", .float, .defaulted(.double(GaussianNoise.Defaults.mean)), doc: "Mean of the noise."),
            FieldSchema("sigma", .float, .defaulted(.double(GaussianNoise.Defaults.sigma)), range: .nonNegative,
                        doc: "Standard deviation of the noise."),
            FieldSchema("clip", .bool, .defaulted(.bool(GaussianNoise.Defaults.clip)), doc: "Clamp the result to [0, 1]."),
        ])) { e, seed in
            try GaussianNoise(mean: try e.doubleValue("mean"), sigma: try e.doubleValue("sigma"),
                              clip: try e.boolValue("clip"), seed: seed)
        },
        TransformType(TypeSchema("standardize", pytorch: "sklearn.preprocessing.StandardScaler",
                                 doc: "(x - mean) / std per feature of tabular samples, with the mean and population std of "
                                     + "the training split (after the transforms before it; a feature that never varies gets std 1). "
                                     + "The statistics are stored in the checkpoint: `flint eval`, `flint predict` and `--resume` "
                                     + "apply them without reading the training data again. Only in `data.transforms`.")) { _, _ in
            // Unfitted: `DataStatistics` fits it on the training split.
            Standardize()
        },
    ]

    /// Spelled from FlintData's enum so the schema cannot offer a mode the transforms lack.
    private static func interpolation(_ value: Interpolation) -> FieldSchema {
        FieldSchema("interpolation", .choice(Interpolation.allCases.map(\.rawValue)), .defaulted(.string(value.rawValue)),
                    doc: "How pixels between samples are read.")
    }

    private static let center = FieldSchema("center", .floats(count: 2), .optional,
                                            doc: "Centre `[x, y]` of the rotation in pixels; the image centre when omitted.")

    private static let fill = FieldSchema("fill", .floats(count: nil), .defaulted(.doubles(RandomRotation.Defaults.fill)),
                                          doc: "Value of pixels outside the image, one or one per channel.")

    private static func jitter(_ name: String, _ value: [Double], _ doc: String) -> FieldSchema {
        FieldSchema(name, .floats(count: nil), .defaulted(.doubles(value)), doc: doc)
    }
}

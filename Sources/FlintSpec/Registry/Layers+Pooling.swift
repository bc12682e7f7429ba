import FlintNN

/// Max, average and adaptive pooling.
extension LayerTypes {
    private static func poolFields(spatial: Int, max: Bool) -> [FieldSchema] {
        let size: FieldKind = .intOrTuple(count: spatial, keywords: [])
        var fields = [
            FieldSchema("kernel_size", size, .required, range: .positive, doc: "Size of the window."),
            FieldSchema("stride", size, .optional, range: .positive, doc: "Stride of the window; `kernel_size` when omitted."),
            FieldSchema("padding", size, .defaulted(.int(StridedPool.Defaults.padding)), range: .nonNegative,
                        doc: max ? "Implicit negative-infinity padding on both sides." : "Implicit zero padding on both sides."),
        ]
        if max {
            fields.append(FieldSchema("dilation", size, .defaulted(.int(StridedPool.Defaults.dilation)), range: .positive,
                                      doc: "Spacing between window elements."))
        }
        fields.append(FieldSchema("ceil_mode", .bool, .defaulted(.bool(StridedPool.Defaults.ceilMode)),
                                  doc: "Use ceil instead of floor for the output shape."))
        if !max {
            fields.append(FieldSchema("count_include_pad", .bool, .defaulted(.bool(StridedPool.Defaults.countIncludePad)),
                                      doc: "Count the zero padding in the averaging divisor."))
            if spatial == 2 {
                fields.append(FieldSchema("divisor_override", .int, .optional, range: .positive,
                                          doc: "Divide by this instead of the window size."))
            }
        }
        return fields
    }

    /// PyTorch rejects padding wider than half the effective window.
    private static let checkPool: EntryCheck = { entry, report in
        guard let kernel = entry.ints("kernel_size"), let padding = entry.ints("padding") else { return }
        // Average pooling has no dilation: its window is the kernel.
        let dilation = entry.ints("dilation") ?? [1]
        let count = max(kernel.count, padding.count, dilation.count)
        func at(_ values: [Int], _ axis: Int) -> Double { Double(values.count == 1 ? values[0] : values[min(axis, values.count - 1)]) }
        // In doubles: a hostile spec may hold sizes whose product overflows Int.
        for axis in 0..<count where at(padding, axis) > ((at(kernel, axis) - 1) * at(dilation, axis) + 1) / 2 {
            report("padding must be at most half of the effective kernel size, got padding \(Int(at(padding, axis))) "
                   + "with kernel_size \(Int(at(kernel, axis)))", "padding")
            return
        }
    }

    private static func adaptiveFields(spatial: Int) -> [FieldSchema] {
        [FieldSchema("output_size", .intOrTuple(count: spatial, keywords: []), .required, range: .positive,
                     doc: spatial == 1 ? "Output length." : "Output size `s` or `[h, w]`; `1` is global pooling.")]
    }

    static let pooling: [LayerType] = [
        LayerType(TypeSchema("max_pool1d", pytorch: "torch.nn.MaxPool1d", doc: "1-D max pooling over `[N, C, L]`.",
                             fields: poolFields(spatial: 1, max: true), check: checkPool),
                  example: .init("kernel_size: 2", input: [2, 6])) { e, input in
            try shaped(MaxPool1d(kernelSize: try e.intValue("kernel_size"), stride: e.ints("stride")?.first,
                                 padding: try e.intValue("padding"), dilation: try e.intValue("dilation"),
                                 ceilMode: try e.boolValue("ceil_mode")), input)
        },
        LayerType(TypeSchema("max_pool2d", pytorch: "torch.nn.MaxPool2d", doc: "2-D max pooling over `[N, C, H, W]`.",
                             fields: poolFields(spatial: 2, max: true), check: checkPool),
                  example: .init("kernel_size: 2", input: [2, 6, 6])) { e, input in
            try shaped(MaxPool2d(kernelSize: try e.intsValue("kernel_size"), stride: e.ints("stride"),
                                 padding: try e.intsValue("padding"), dilation: try e.intsValue("dilation"),
                                 ceilMode: try e.boolValue("ceil_mode")), input)
        },
        LayerType(TypeSchema("avg_pool1d", pytorch: "torch.nn.AvgPool1d", doc: "1-D average pooling over `[N, C, L]`.",
                             fields: poolFields(spatial: 1, max: false), check: checkPool),
                  example: .init("kernel_size: 2", input: [2, 6])) { e, input in
            try shaped(AvgPool1d(kernelSize: try e.intValue("kernel_size"), stride: e.ints("stride")?.first,
                                 padding: try e.intValue("padding"), ceilMode: try e.boolValue("ceil_mode"),
                                 countIncludePad: try e.boolValue("count_include_pad")), input)
        },
        LayerType(TypeSchema("avg_pool2d", pytorch: "torch.nn.AvgPool2d", doc: "2-D average pooling over `[N, C, H, W]`.",
                             fields: poolFields(spatial: 2, max: false), check: checkPool),
                  example: .init("kernel_size: 2", input: [2, 6, 6])) { e, input in
            try shaped(AvgPool2d(kernelSize: try e.intsValue("kernel_size"), stride: e.ints("stride"),
                                 padding: try e.intsValue("padding"), ceilMode: try e.boolValue("ceil_mode"),
                                 countIncludePad: try e.boolValue("count_include_pad"),
                                 divisorOverride: e.int("divisor_override")), input)
        },
        LayerType(TypeSchema("adaptive_avg_pool1d", pytorch: "torch.nn.AdaptiveAvgPool1d",
                             doc: "Average pooling to a fixed length, whatever the input's.", fields: adaptiveFields(spatial: 1)),
                  example: .init("output_size: 3", input: [2, 6])) { e, input in
            try shaped(AdaptiveAvgPool1d(outputSize: try e.intValue("output_size")), input)
        },
        LayerType(TypeSchema("adaptive_avg_pool2d", pytorch: "torch.nn.AdaptiveAvgPool2d",
                             doc: "Average pooling to a fixed size, whatever the input's.", fields: adaptiveFields(spatial: 2)),
                  example: .init("output_size: 2", input: [2, 6, 6])) { e, input in
            try shaped(AdaptiveAvgPool2d(outputSize: try e.intsValue("output_size")), input)
        },
        LayerType(TypeSchema("adaptive_max_pool2d", pytorch: "torch.nn.AdaptiveMaxPool2d",
                             doc: "Max pooling to a fixed size, whatever the input's.", fields: adaptiveFields(spatial: 2)),
                  example: .init("output_size: 2", input: [2, 6, 6])) { e, input in
            try shaped(AdaptiveMaxPool2d(outputSize: try e.intsValue("output_size")), input)
        },
    ]
}

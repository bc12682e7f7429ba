import FlintNN

/// Convolutions over `[N, C, L]` and `[N, C, H, W]`.
extension LayerTypes {
    private static func convolutionFields(spatial: Int, transposed: Bool) -> [FieldSchema] {
        let size: FieldKind = .intOrTuple(count: spatial, keywords: [])
        let shape = spatial == 1 ? "`k`" : "`k` or `[kh, kw]`"
        var fields = [
            inferred("in_channels", "Channels of the input"),
            FieldSchema("out_channels", .int, .required, range: .positive, doc: "Channels produced."),
            FieldSchema("kernel_size", size, .required, range: .positive, doc: "Size of the kernel: \(shape)."),
            FieldSchema("stride", size, .defaulted(.int(ConvolutionBase.Defaults.stride)), range: .positive, doc: "Stride of the convolution."),
        ]
        if transposed {
            fields += [
                FieldSchema("padding", size, .defaulted(.int(ConvolutionBase.Defaults.padding)), range: .nonNegative,
                            doc: "`dilation · (kernel_size − 1) − padding` zeros added to both sides of the input."),
                FieldSchema("output_padding", size, .defaulted(.int(ConvolutionBase.Defaults.outputPadding)), range: .nonNegative,
                            doc: "Size added to one side of the output, to choose among the sizes a stride allows."),
            ]
        } else {
            fields.append(FieldSchema("padding", .intOrTuple(count: spatial, keywords: ["valid", "same"]),
                                      .defaulted(.int(ConvolutionBase.Defaults.padding)), range: .nonNegative,
                                      doc: "Zero padding added to both sides, or `valid` (none) / `same` (output as large as the input)."))
        }
        fields += [
            FieldSchema("dilation", size, .defaulted(.int(ConvolutionBase.Defaults.dilation)), range: .positive, doc: "Spacing between kernel elements."),
            FieldSchema("groups", .int, .defaulted(.int(ConvolutionBase.Defaults.groups)), range: .positive,
                        doc: "Blocked connections from input to output channels."),
            bias,
            FieldSchema("padding_mode", .choice(["zeros"]), .defaulted(.string("zeros")),
                        doc: "How padding is filled; only `zeros` is implemented."),
        ]
        return fields
    }

    private static let checkConvolution: EntryCheck = { entry, report in
        guard let groups = entry.int("groups") else { return }
        if let out = entry.int("out_channels"), out % groups != 0 {
            report("out_channels must be divisible by groups (\(out) and \(groups))", "out_channels")
        }
        if let input = entry.int("in_channels"), input % groups != 0 {
            report("in_channels must be divisible by groups (\(input) and \(groups))", "in_channels")
        }
        if entry.string("padding") == "same", let stride = entry.ints("stride"), stride.contains(where: { $0 != 1 }) {
            report("padding 'same' is not supported for strided convolutions", "padding")
        }
    }

    /// The channels of a per-sample input `layout`, checked against `in_channels`.
    private static func channels(_ e: SpecEntry, _ input: [Int], rank: Int, layout: String) throws -> Int {
        try agree(e, "in_channels", try leading(input, rank: rank, layout: layout), "channels", input)
    }

    static let convolution: [LayerType] = [
        LayerType(TypeSchema("conv1d", pytorch: "torch.nn.Conv1d", doc: "1-D convolution over `[N, C, L]` inputs.",
                             fields: convolutionFields(spatial: 1, transposed: false), check: checkConvolution),
                  example: .init("out_channels: 3, kernel_size: 3", input: [2, 6])) { e, input in
            try shaped(Conv1d(inChannels: try channels(e, input, rank: 2, layout: "[C, L]"),
                              outChannels: try e.intValue("out_channels"), kernelSize: try e.intValue("kernel_size"),
                              stride: try e.intValue("stride"), padding: try convPadding(e),
                              dilation: try e.intValue("dilation"), groups: try e.intValue("groups"),
                              bias: try e.boolValue("bias")), input)
        },
        LayerType(TypeSchema("conv2d", pytorch: "torch.nn.Conv2d", doc: "2-D convolution over `[N, C, H, W]` inputs.",
                             fields: convolutionFields(spatial: 2, transposed: false), check: checkConvolution),
                  example: .init("out_channels: 3, kernel_size: 3", input: [2, 5, 5])) { e, input in
            try shaped(Conv2d(inChannels: try channels(e, input, rank: 3, layout: "[C, H, W]"),
                              outChannels: try e.intValue("out_channels"), kernelSize: try e.intsValue("kernel_size"),
                              stride: try e.intsValue("stride"), padding: try convPadding(e),
                              dilation: try e.intsValue("dilation"), groups: try e.intValue("groups"),
                              bias: try e.boolValue("bias")), input)
        },
        LayerType(TypeSchema("conv_transpose2d", pytorch: "torch.nn.ConvTranspose2d",
                             doc: "Transposed 2-D convolution (learned upsampling) over `[N, C, H, W]` inputs.",
                             fields: convolutionFields(spatial: 2, transposed: true), check: checkConvolution),
                  example: .init("out_channels: 3, kernel_size: 3", input: [2, 5, 5])) { e, input in
            try shaped(ConvTranspose2d(inChannels: try channels(e, input, rank: 3, layout: "[C, H, W]"),
                                       outChannels: try e.intValue("out_channels"), kernelSize: try e.intsValue("kernel_size"),
                                       stride: try e.intsValue("stride"), padding: try e.intsValue("padding"),
                                       outputPadding: try e.intsValue("output_padding"), groups: try e.intValue("groups"),
                                       bias: try e.boolValue("bias"), dilation: try e.intsValue("dilation")), input)
        },
    ]
}

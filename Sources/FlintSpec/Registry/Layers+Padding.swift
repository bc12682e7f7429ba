import FlintNN

/// Padded sequences: the key-padding mask of token ids, and poolings that ignore padding
/// when given it (`inputs: [h, mask]`).
extension LayerTypes {
    static let padding: [LayerType] = [
        LayerType(TypeSchema("padding_mask", pytorch: "tokens == pad_id",
                             doc: "The key-padding mask of padded token ids `[N, L]`: bool `[N, L]`, true where a token is "
                                 + "`padding_idx`, as PyTorch's `src_key_padding_mask`. Reads the ids (`inputs: [input]`); "
                                 + "`transformer_encoder_layer`, `mean_pool` and `last_token` take it as their second input. "
                                 + "Documents imported with `flint import text --classes-from-dirs` are padded with `<pad>`, "
                                 + "id 1, after their last token, so the mask is `arange(L) >= lengths[:, None]`.", fields: [
            FieldSchema("padding_idx", .int, .required, doc: "The id that pads sequences (1 for Flint's text importers)."),
        ]), example: .init("padding_idx: 1", input: [5])) { e, input in
            try shaped(PaddingMask(paddingIdx: try e.intValue("padding_idx")), input)
        },
        LayerType.masked(TypeSchema("mean_pool", pytorch: "x.mean(dim=1)",
                                    doc: "The mean over the positions of `[N, L, *]`, giving `[N, *]`; with `inputs: [h, mask]`, "
                                        + "over the positions that are not padding: `(h * ~mask).sum(1) / (~mask).sum(1)`."),
                         example: .init(input: sequenceInput)) { _, input in
            try shaped(MeanPool(), input)
        },
        LayerType.masked(TypeSchema("last_token", pytorch: "x[:, -1]",
                                    doc: "The last position of `[N, L, *]`, giving `[N, *]`; with `inputs: [h, mask]`, each "
                                        + "sequence's last position that is not padding: `h[arange(N), lengths - 1]` with "
                                        + "`lengths = (~mask).sum(1)`."),
                         example: .init(input: sequenceInput)) { _, input in
            try shaped(LastToken(), input)
        },
    ]
}

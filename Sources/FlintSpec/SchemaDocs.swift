import Foundation

/// Renders the schema tables as Markdown (`docs/spec.md`), so the reference and the
/// decoder read the same tables and cannot drift apart.
extension SpecSchema {
    public static func markdown() -> String {
        var out = """
        # The Flint spec

        <!-- Generated from Sources/FlintSpec/Schema*.swift and the registrations in Sources/FlintSpec/Registry; do not edit by hand. -->

        A spec is one YAML file. Every layer, loss, optimizer, scheduler and transform is
        named after its PyTorch (torchvision) class in snake_case, and its fields are that
        class's constructor arguments with PyTorch's defaults. Sizes the builder can infer
        (`in_features`, `in_channels`, `num_features`) may be omitted.

        - Unknown keys and types are errors, with a "did you mean" where one fits; every
          problem is reported at once as `FILE:LINE:COLUMN: error: MESSAGE`.
        - `extends: base.yaml` deep-merges this file over a base (relative to this file):
          mappings merge key by key, lists are replaced, and an entry whose `type` changes
          is replaced whole.
        - `${path.to.value}` refers to another value of the spec. Alone, it takes that value
          with its type; inside text, it is substituted as text. `\\${` writes a literal `${`.
        - `--set KEY=VALUE` overrides any value from the shell; KEY is a dotted path where
          list items are numbered from 0 (`model.layers.3.out_features=64`, `-1` is the last,
          the list's length appends), VALUE is YAML (`[1, 2]`, `{type: adam}`).
          `--set KEY~` removes a key or a list item.
        - A `null` value is the same as leaving the key out.
        - Order: the file and its bases, then overrides, then references, then validation.

        ## Graphs

        Layers run in order, each reading the one before it, unless a layer says otherwise:

        ```yaml
        layers:
          - {type: conv2d, out_channels: 16, kernel_size: 3, padding: 1, name: conv}
          - {type: relu, name: act}
          - {type: add, inputs: [input, act]}      # a residual connection
        ```

        - `name` names a layer for `inputs` and is its state-dict prefix (`conv.weight`);
          an unnamed layer's prefix is its index in the list (`0.weight`).
        - `inputs` lists the layers a layer reads; `input` is the model's (or block's) input.
          Without it, a layer reads the layer before it. Names may point forwards: layers run
          in data-flow order, the written order where it allows.
        - `add` and `mul` join inputs of the same per-sample shape (sizes of 1 broadcast);
          `cat` joins along `dim` (of the batched tensors: `1` is the channels). Every other
          layer takes one input.
        - The last layer written is the model's output. A layer whose output nothing reads is
          a warning; a cycle, an unknown name or inputs whose shapes do not join are errors.

        ## Padded sequences

        Documents imported for classification (`flint import text DIR --classes-from-dirs`,
        `flint import csv --text-column`) are rows of token ids `[N, L]`, each document
        followed by `<pad>` (id 1) up to L. As a PyTorch user computes
        `src_key_padding_mask = tokens == pad_id` once and passes it on, a `padding_mask`
        layer reads the ids and the layers that must ignore padding take its mask as their
        second input:

        ```yaml
        layers:
          - {type: embedding, name: emb, num_embeddings: 5000, embedding_dim: 64, padding_idx: 1}
          - {type: positional_embedding, name: pos}
          - {type: padding_mask, name: mask, inputs: [input], padding_idx: 1}   # bool [N, L], true at <pad>
          - {type: transformer_encoder_layer, name: enc, inputs: [pos, mask], nhead: 4}
          - {type: mean_pool, inputs: [enc, mask]}      # mean over the real tokens: [N, 64]
          - {type: linear, out_features: 20}
        ```

        - `transformer_encoder_layer` gives masked keys −∞ before the softmax (PyTorch's
          `src_key_padding_mask`): no position attends to padding. `mean_pool` averages the
          positions that are not padding; `last_token` takes each document's last real
          position (`h[arange(N), lengths - 1]`). Without a mask they read every position.
        - The mask equals `arange(L) >= lengths[:, None]` for the `SPLIT/lengths` the importers
          store, since `<pad>` never occurs inside a document; the model needs no second input.
        - The second input must be a `padding_mask` layer. Inside a block, `input` is the
          block's input, so the mask is made and used in the same list of layers.

        ## Blocks

        A block is a named sub-network with parameters, defined under `model.blocks` and used
        as a layer type. In its layers, `${params.NAME}` stands for the value of a parameter:
        alone, it takes the value with its type; inside text, it is inserted as text. Inside
        `{...}` quote it (`'${params.channels}'`): there YAML reads braces as structure.

        ```yaml
        model:
          blocks:
            basic:
              params: {channels: 64, stride: 1}   # defaults; a null default makes a parameter required
              layers:
                - {type: conv2d, out_channels: '${params.channels}', kernel_size: 3, stride: '${params.stride}', padding: 1, name: conv1}
                - {type: batch_norm2d, name: bn1}
                - {type: relu}
          layers:
            - {type: basic, name: layer1, channels: 16}             # layer1.conv1.weight
            - {type: basic, name: layer2, channels: 32, repeat: 2}  # layer2.0.conv1.weight, layer2.1.conv1.weight
        ```

        - A use takes the block's parameters, `repeat`, `name` and `inputs`. Unknown
          parameters and missing required ones are errors at the use.
        - `repeat: N` makes N copies, one after the other, named `0` ... `N-1` under the use's
          name, as PyTorch's ResNet nests its stages; without `repeat` the block's layers sit
          directly under the use's name.
        - The block's layers form a graph of their own, whose `input` is the use's input and
          whose output is the block's last layer. Blocks may use other blocks.
        - Each use is checked with its own values: a value that does not fit is reported where
          the use wrote it, a shape problem inside the block at the block's line, naming the use.

        ## Initialisation

        Every layer starts from PyTorch's default initialisation. `init` replaces it for the
        parameters it names, by the layer's own state-dict names or patterns of them (`*` is any
        text, `?` one character), each with a `torch.nn.init` function (see Initializers):

        ```yaml
        - {type: conv2d, out_channels: 64, kernel_size: 3,
           init: {weight: {type: kaiming_normal, mode: fan_out, nonlinearity: relu}, bias: zeros}}
        - {type: lstm, hidden_size: 128, init: {'weight_hh_*': orthogonal, 'bias_*': zeros}}
        - {type: basic, channels: 64, init: {'*.weight': xavier_uniform}}   # a block use: names inside it
        ```

        A bare name (`zeros`) is the initialiser with its defaults. A pattern that matches no
        parameter, or an initialiser that cannot fill one (`kaiming_normal` on a bias has no fan),
        is an error at its line. Initialisers draw from the run's seeded generator, after the defaults.

        ## Parameter groups

        `param_groups` gives some parameters their own optimizer settings, as PyTorch's list of
        `{"params": ..., "weight_decay": 0}` dicts does, choosing them by state-dict name pattern:

        ```yaml
        optimizer:
          type: adamw
          lr: 0.001
          weight_decay: 0.05
          param_groups:
            - {params: ['*.bias', 'bn*'], weight_decay: 0}   # no decay on biases and norm layers
            - {params: head.weight, lr: 0.01}
        ```

        A group takes the parameters its patterns match that no earlier group took, and
        overrides any field of the optimizer; the rest form the first group, with the
        optimizer's own fields (left out when every parameter is in a group). Group order is
        the order of `optimizer.param_groups` in PyTorch, which per-group scheduler values such
        as `one_cycle_lr`'s `max_lr: [..]` follow. A pattern that takes no parameter is an error.

        ## Gradient clipping and scheduling

        - `train.clip_grad_norm: {max_norm: 1.0, norm_type: 2}` or `train.clip_grad_value: 0.5`
          run `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` on the gradients of every
          parameter after they are accumulated (`accumulate_steps`) and before each optimizer step.
        - A scheduler steps after every epoch, or with `interval: step` after every optimizer
          step, as a PyTorch loop calls `scheduler.step()`; `one_cycle_lr` steps per optimizer
          step unless told otherwise, and without `total_steps` (or `epochs` and
          `steps_per_epoch`) its cycle is the whole run; inside `sequential_lr`, which restarts
          each scheduler at its milestone, it is the segment from its milestone to the next one
          (or to the end of the run). A cycle shorter than the steps it gets is an error.
        - `reduce_lr_on_plateau` steps after each epoch with its `monitor` metric (`val/loss`
          by default, `train/loss` without a validation split); a metric the run does not report
          is an error. Checkpoints hold the scheduler's state, so a resumed run continues the schedule.

        ## Several outputs and losses

        `model.outputs` lists the layers whose outputs the model returns; `loss` may be a list
        whose terms are summed, each times its `loss_weight`, each reading the `output` it names
        and comparing it with the targets `y`, or with the inputs `x` (`target: x`):

        ```yaml
        model:
          input: [1, 28, 28]
          outputs: [logits, recon]
          layers:
            - {type: flatten, name: flat}
            - {type: linear, out_features: 32, name: code}
            - {type: linear, out_features: 10, name: logits, inputs: code}
            - {type: linear, out_features: 784, name: dec, inputs: code}
            - {type: unflatten, dim: 1, unflattened_size: [1, 28, 28], name: recon}
        loss:
          - {type: cross_entropy_loss, output: logits}
          - {type: mse_loss, output: recon, target: x, loss_weight: 0.1}
        ```

        `cosine_embedding_loss` and `margin_ranking_loss` compare two outputs with targets of ±1:
        `{type: cosine_embedding_loss, output: [left, right]}`. A loss without `output` reads the
        model's only output (or its two, for those two losses). The reported `loss` is the weighted
        sum; accuracy and the other metrics read the first loss's output. Unknown output names are
        errors with a "did you mean".

        `flint predict` writes every output of such a model, each named by it: `outputs/logits`,
        `outputs/recon`, and `predictions/<name>` (argmax) and `probabilities/<name>` (softmax) for
        each output that a `cross_entropy_loss` or `nll_loss` reads; the root attribute `outputs`
        lists the names in the order of `model.outputs`. `flint export --format onnx` gives the
        graph one output per `model.outputs` entry, with the same names and order (what PyTorch
        returns as a tuple).


        """
        out += "## Sections\n\n"
        for section in sections {
            out += "### `\(section.name)`\n\n\(section.doc)\n\n"
            out += table(section.fields)
        }
        for category in categories {
            out += "## \(category.plural.capitalized)\n\n\(category.doc)\n\n"
            if !category.commonFields.isEmpty {
                out += "Every \(category.name) also accepts:\n\n" + table(category.commonFields)
            }
            for type in category.types {
                out += "### `\(type.name)`\n\n`\(type.pytorch)`: \(type.doc)\n\n"
                out += type.fields.isEmpty ? "No fields.\n\n" : table(type.fields)
            }
        }
        return out
    }

    private static func table(_ fields: [FieldSchema]) -> String {
        var out = "| key | kind | default | range | description |\n| --- | --- | --- | --- | --- |\n"
        for field in fields {
            let presence: String
            switch field.presence {
            case .required: presence = "**required**"
            case .optional: presence = "none"
            case .defaulted(let value): presence = "`\(value)`"
            }
            let range = field.range.map { "`\($0)`" } ?? ""
            out += "| `\(field.name)` | \(field.kind.summary) | \(presence) | \(range) | \(field.doc) |\n"
        }
        return out + "\n"
    }
}

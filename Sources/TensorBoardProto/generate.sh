#!/bin/sh
# Regenerates the *.pb.swift files here: TensorBoard's Event and Summary
# records (and what they import) for swift-protobuf. Run once per TensorBoard
# or swift-protobuf upgrade and commit the result; the build never runs it.
#
# The .proto sources are taken from the tensorboard Python package itself:
# its *_pb2 modules carry each file's serialized descriptor, which protoc
# reads as a descriptor set, so the Swift matches the reader the tests use.
#
# Needs: protoc (apt-get install protobuf-compiler), the tensorboard Python
# package (pip install tensorboard), and a checkout of swift-protobuf at the
# version Package.swift pins, to build protoc-gen-swift:
#   SWIFT_PROTOBUF=/path/to/swift-protobuf sh Sources/TensorBoardProto/generate.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${SWIFT_PROTOBUF:?set SWIFT_PROTOBUF to a swift-protobuf checkout (tag 1.39.0)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product protoc-gen-swift --package-path "$SWIFT_PROTOBUF"
plugin="$SWIFT_PROTOBUF/.build/release/protoc-gen-swift"

python3 - "$work/tensorboard.desc" <<'PY'
import sys
from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2

files, seen = descriptor_pb2.FileDescriptorSet(), set()
def add(fd):
    if fd.name in seen:
        return
    seen.add(fd.name)
    for dep in fd.dependencies:
        add(dep)
    files.file.add().ParseFromString(fd.serialized_pb)
add(event_pb2.DESCRIPTOR)
open(sys.argv[1], "wb").write(files.SerializeToString())
PY

protoc --plugin=protoc-gen-swift="$plugin" --descriptor_set_in="$work/tensorboard.desc" \
    --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath --swift_out="$work" \
    tensorboard/compat/proto/event.proto tensorboard/compat/proto/summary.proto \
    tensorboard/compat/proto/histogram.proto tensorboard/compat/proto/tensor.proto \
    tensorboard/compat/proto/resource_handle.proto tensorboard/compat/proto/tensor_shape.proto \
    tensorboard/compat/proto/types.proto
cp "$work"/*.pb.swift "$here/"
echo "wrote $(ls "$work" | grep -c pb.swift) files to $here (tensorboard $(python3 -c 'import tensorboard; print(tensorboard.__version__)'))"

#!/bin/sh
# Regenerates onnx.pb.swift, ONNX's schema for swift-protobuf. Run once per
# ONNX or swift-protobuf upgrade and commit the result; the build never runs it.
#
# Needs: protoc (apt-get install protobuf-compiler), the onnx Python package
# (pip install onnx; it ships onnx.proto and gen_proto.py), and a checkout of
# swift-protobuf at the version Package.swift pins, to build protoc-gen-swift:
#   SWIFT_PROTOBUF=/path/to/swift-protobuf sh Sources/ONNXProto/generate.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${SWIFT_PROTOBUF:?set SWIFT_PROTOBUF to a swift-protobuf checkout (tag 1.39.0)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product protoc-gen-swift --package-path "$SWIFT_PROTOBUF"
plugin="$SWIFT_PROTOBUF/.build/release/protoc-gen-swift"

# onnx ships onnx.proto (proto2); its own converter makes the proto3 variant.
onnx_dir=$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')
python3 - "$onnx_dir" "$work/onnx.proto3" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from gen_proto import convert_to_proto3
lines = open(sys.argv[1] + "/onnx.proto", encoding="utf-8").read().splitlines()
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(convert_to_proto3(lines)) + "\n")
PY

protoc --plugin=protoc-gen-swift="$plugin" --swift_out=Visibility=Public:"$work" -I "$work" "$work/onnx.proto3"
cp "$work/onnx.pb.swift" "$here/onnx.pb.swift"
echo "wrote $here/onnx.pb.swift (onnx $(python3 -c 'import onnx; print(onnx.__version__)'))"

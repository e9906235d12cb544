#!/usr/bin/env bash
# Generates cluster_futures/_proto from protos/cluster.proto (the stubs are checked in); with an
# argument, into that folder instead (the tests compare it with the checked-in stubs).
# Needs protoc and grpc_python_plugin (Debian: protobuf-compiler-grpc). The code protoc 3.21 writes
# runs on the protobuf Python runtime 3.20 and later (Debian bookworm ships 4.21).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/cluster_futures/_proto}"
plugin="$(command -v grpc_python_plugin)"
protoc -I "$here/../../protos" --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" "$here/../../protos/cluster.proto"
# The generated service module imports its messages as a top-level module: make it package-relative.
sed -i 's/^import cluster_pb2 as cluster__pb2$/from . import cluster_pb2 as cluster__pb2/' "$out/cluster_pb2_grpc.py"
echo "generated into $out: $(ls "$out"/cluster_pb2*.py | xargs -n1 basename | tr '\n' ' ')"

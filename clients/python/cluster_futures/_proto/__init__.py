"""Generated from protos/cluster.proto by generate_protos.sh: do not edit."""

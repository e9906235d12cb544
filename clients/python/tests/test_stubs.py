"""The checked-in stubs are what generate_protos.sh makes of protos/cluster.proto today."""

import os
import shutil
import subprocess
import tempfile
import unittest

from _support import IN_CI

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "..")


class StubTests(unittest.TestCase):
    def test_checked_in_stubs_match_the_proto(self):
        missing = [tool for tool in ("protoc", "grpc_python_plugin") if shutil.which(tool) is None]
        if missing:
            message = f"{' and '.join(missing)} not installed (Debian: protobuf-compiler-grpc)"
            if IN_CI:
                self.fail(message)
            self.skipTest(message)
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([os.path.join(PACKAGE, "generate_protos.sh"), out], check=True, capture_output=True)
            for name in ("cluster_pb2.py", "cluster_pb2_grpc.py"):
                with open(os.path.join(out, name), encoding="utf-8") as fresh, \
                        open(os.path.join(PACKAGE, "cluster_futures", "_proto", name), encoding="utf-8") as kept:
                    self.assertEqual(fresh.read(), kept.read(),
                                     f"cluster_futures/_proto/{name} is stale: run clients/python/generate_protos.sh")


if __name__ == "__main__":
    unittest.main()

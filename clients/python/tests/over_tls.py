"""A Python client and a Python worker over TLS with tokens, against the coordinator at argv[1]:
    over_tls.py ADDRESS CA_FILE CLIENT_TOKEN_FILE WORKER_TOKEN_FILE
Prints "over TLS: ..." and exits 0 when both work. (Run by PythonClientTests, on a cluster of its own.)"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cluster_futures import ClusterExecutor, Worker  # noqa: E402


def cube(x):
    return x ** 3


def main(address, ca, client_token_file, worker_token_file):
    client_token = open(client_token_file, encoding="utf-8").read().strip()
    worker_token = open(worker_token_file, encoding="utf-8").read().strip()
    worker = Worker(address, {"py.tls.cube": cube}, threads=2, token=worker_token, tls_ca=ca)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    if not worker.connected.wait(60):
        raise SystemExit("the Python worker did not connect over TLS")
    executor = ClusterExecutor(address, token=client_token, tls_ca=ca)
    try:
        on_csharp = executor.submit("add", 2, 3).result(60)
        on_python = executor.submit("py.tls.cube", 3).result(60)
    except BaseException:
        # A task that did not finish: say so and exit, rather than wait for it in shutdown(wait=True).
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()
    worker.stop()
    thread.join(60)
    if (on_csharp, on_python) != (5, 27):
        raise SystemExit(f"wrong results over TLS: {on_csharp}, {on_python}")
    print(f"over TLS: add(2, 3) = {on_csharp} on a C# worker, py.tls.cube(3) = {on_python} on a Python worker")


if __name__ == "__main__":
    main(*sys.argv[1:5])

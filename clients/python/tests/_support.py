"""What the tests share: the cluster's address, the module check, and a TCP relay that can break."""

import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_modules():
    """Skips (in CI: fails) when Debian's python3-grpcio and python3-protobuf are missing."""
    try:
        import grpc  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as e:
        if IN_CI:
            raise
        raise unittest.SkipTest(
            f"the gRPC modules are missing ({e}): install python3-grpcio and python3-protobuf, "
            "and run the tests with /usr/bin/python3") from None


def cluster_address():
    """The coordinator the tests use (CLUSTER_ADDRESS); skips (in CI: fails) without one."""
    address = os.environ.get("CLUSTER_ADDRESS")
    if not address:
        message = ("CLUSTER_ADDRESS is not set: these tests need a running cluster "
                   "(`cluster up`, then CLUSTER_ADDRESS=127.0.0.1:5050); `dotnet test` sets it")
        if IN_CI:
            raise RuntimeError(message)
        raise unittest.SkipTest(message)
    return address


def cluster_token():
    """The token calls carry (CLUSTER_TOKEN), or None when the cluster has no tokens."""
    return os.environ.get("CLUSTER_TOKEN") or None


def metadata():
    """The call metadata of a raw stub: the bearer token, when there is one."""
    token = cluster_token()
    return (("authorization", "Bearer " + token),) if token else ()


def target(address):
    """host:port of an address such as http://127.0.0.1:5050/."""
    return address.split("://")[-1].rstrip("/")


def unique(prefix):
    """A task name no other test uses."""
    return f"{prefix}.{os.getpid()}.{next(_counter)}"


_counter = iter(range(1, 1 << 30))


class Relay:
    """A TCP relay on 127.0.0.1 to `target` (host:port) whose connections can all be cut at once,
    as a network fault would: a client behind it sees its streams break and must resume."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._sockets = []
        self._closed = False
        # While held, the relay refuses every new connection (the network stays down).
        self.hold = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.hold:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """Breaks every connection through the relay (new ones are still accepted)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        with self._lock:
            self._closed = True
        self._listener.close()
        self.cut()

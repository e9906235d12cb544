"""The gRPC channel to a coordinator: address forms, TLS, the bearer token and keepalive."""

import re
import threading
import random

import grpc

# Streams are long-lived: ping so a dead peer is noticed (as the C# SDK: every 10 s, 20 s to answer).
_OPTIONS = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    # Reconnect soon after a coordinator restarts.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]

_HOST_PORT = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}$")

ADDRESS_FORMS = "host:port, http://host:port, https://host:port or dns:///host:port"


def parse_address(address):
    """Returns (target, tls) for a coordinator address; raises ValueError naming a bad one."""
    if not isinstance(address, str) or not address:
        raise ValueError(f"the coordinator address {address!r} is not one: give {ADDRESS_FORMS}")
    text = address.strip()
    tls = False
    if text.startswith("dns:///"):
        if not _HOST_PORT.match(text[len("dns:///"):].rstrip("/")):
            raise ValueError(f"the coordinator address {address!r} is not one: give {ADDRESS_FORMS}")
        return text.rstrip("/"), False
    for scheme, secure in (("http://", False), ("https://", True)):
        if text.startswith(scheme):
            text = text[len(scheme):]
            tls = secure
            break
    text = text.rstrip("/")
    if not _HOST_PORT.match(text):
        raise ValueError(f"the coordinator address {address!r} is not one: give {ADDRESS_FORMS}")
    return text, tls


def open_channel(address, tls_ca=None, tls_cert=None, tls_key=None):
    """A channel to the coordinator at `address`; TLS for https:// or when a CA file is given."""
    target, tls = parse_address(address)
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("tls_cert and tls_key go together: give both or neither")
    if tls or tls_ca is not None or tls_cert is not None:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(tls_ca, "tls_ca"),
            private_key=_read(tls_key, "tls_key"),
            certificate_chain=_read(tls_cert, "tls_cert"),
        )
        return grpc.secure_channel(target, credentials, options=_OPTIONS)
    return grpc.insecure_channel(target, options=_OPTIONS)


def metadata(token):
    """The call metadata: `authorization: Bearer TOKEN` with a token, else none."""
    if token is None:
        return ()
    if not isinstance(token, str) or not token.strip() or "\n" in token:
        raise ValueError("token must be a non-empty string of one line")
    return (("authorization", "Bearer " + token.strip()),)


def _read(path, what):
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ValueError(f"{what} file {path!r} cannot be read: {e.strerror}") from e


class Backoff:
    """Jittered exponential waits between retries, from `first` to `most` seconds."""

    def __init__(self, first=0.05, most=5.0):
        self._first = first
        self._most = most
        self._next = first

    def reset(self):
        self._next = self._first

    def wait(self, stop: threading.Event):
        """Sleeps the next wait; True when `stop` was set meanwhile."""
        delay = self._next * (0.5 + random.random() / 2)
        self._next = min(self._most, self._next * 2)
        return stop.wait(delay)


RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL)

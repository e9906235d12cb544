"""RetryPolicy from keyword arguments, for a task (ClusterExecutor.submit_with) or a handler (handler)."""

from ._proto import cluster_pb2 as pb


def retry_policy(max_attempts=0, retry_on=(), backoff=0.0, backoff_max=0.0, soft_timeout=0.0, hard_timeout=0.0,
                 max_lost_runs=0):
    """The wire's RetryPolicy (times in seconds), or None when every field is zero (the defaults)."""
    if isinstance(retry_on, str):
        raise TypeError("retry_on is a list of exception type names, e.g. ['builtins.OSError'] or ['*']")
    values = {"max_attempts": max_attempts, "max_lost_runs": max_lost_runs, "backoff": backoff,
              "backoff_max": backoff_max, "soft_timeout": soft_timeout, "hard_timeout": hard_timeout}
    for key, value in values.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{key} must be a number >= 0, not {value!r}")
    for name in retry_on:
        if not isinstance(name, str) or not name or "," in name or "|" in name:
            raise ValueError(f"retry_on entry {name!r} must be an exception type name (no ',' or '|')")
    policy = pb.RetryPolicy(max_attempts=int(max_attempts), max_lost_runs=int(max_lost_runs), retry_on=list(retry_on),
                            backoff_ms=_ms(backoff), backoff_max_ms=_ms(backoff_max),
                            soft_timeout_ms=_ms(soft_timeout), hard_timeout_ms=_ms(hard_timeout))
    return policy if policy.ByteSize() else None


def _ms(seconds):
    return int(round(seconds * 1000))

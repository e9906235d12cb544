"""The exceptions a future of the cluster raises, and whether retrying helps."""

import re

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:/@-]{1,200}$")


def require_identifier(what, value):
    """Raises ValueError naming the rule when `value` is not an identifier of the wire contract."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is empty; give a name of letters, digits and _ . : / @ -")
    if len(value) > 200:
        raise ValueError(f"{what} '{value[:40]}...' is {len(value)} characters long; the limit is 200")
    if not _IDENTIFIER.match(value):
        raise ValueError(f"{what} '{value}' may hold only letters, digits and the characters _ . : / @ -")


class RemoteTaskError(Exception):
    """The task's handler raised on a worker: the remote type, message and stack trace.

    `attempts` holds every attempt's error (oldest first) when the task failed more than once;
    `dead_lettered` says it ran past its bounds and is in the coordinator's dead letters.
    """

    def __init__(self, task_id, remote_type, remote_message, remote_stack_trace, attempt,
                 dead_lettered=False, attempts=()):
        super().__init__(f"task {task_id} failed on attempt {attempt}: {remote_type}: {remote_message}")
        self.task_id = task_id
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_stack_trace = remote_stack_trace
        self.attempt = attempt
        self.dead_lettered = dead_lettered
        self.attempts = list(attempts)

    def __str__(self):
        text = self.args[0]
        if self.remote_stack_trace:
            text += "\n--- remote stack trace ---\n" + self.remote_stack_trace.rstrip()
        return text


class TaskRejectedError(Exception):
    """The coordinator refused the task: `code` is a gRPC status name (InvalidArgument,
    ResourceExhausted, AlreadyExists); retrying the same task does not help, except for
    ResourceExhausted (a full queue) later."""

    def __init__(self, task_id, code, message, existing_task_id=None):
        super().__init__(f"task {task_id} was rejected ({code}): {message}")
        self.task_id = task_id
        self.code = code
        self.rejection_message = message
        self.existing_task_id = existing_task_id


class ClusterUnavailableError(Exception):
    """No coordinator accepted the task within the executor's `unavailable_timeout`; it never ran.
    Retrying later may help."""

    def __init__(self, task_id, timeout, status, detail):
        super().__init__(
            f"no coordinator accepted task {task_id} within {timeout:g} s; the last answer was {status}: {detail}")
        self.task_id = task_id
        self.status = status
        self.detail = detail


class TaskLostError(Exception):
    """The store lost the task: a coordinator said it was stored, and after the store failed over
    (a Redis Cluster master killed before its replica had it) the store no longer knows it. It never
    ran to a completion the store kept; submitting it again is safe."""

    def __init__(self, task_id, name, detail):
        super().__init__(f"task {task_id} ({name}) was lost by the store in a failover after it was accepted: {detail}")
        self.task_id = task_id
        self.name = name

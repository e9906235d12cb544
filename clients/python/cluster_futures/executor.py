"""ClusterExecutor: concurrent.futures.Executor over the cluster's Tasks service."""

import itertools
import json
import math
import queue
import re
import secrets
import threading
import time
from concurrent.futures import Executor, Future
from concurrent.futures import _base

import grpc

from . import _channel
from ._policy import retry_policy
from ._proto import cluster_pb2 as pb
from ._proto import cluster_pb2_grpc as rpc
from .errors import ClusterUnavailableError, RemoteTaskError, TaskLostError, TaskRejectedError, require_identifier

# The largest arguments of one task: 4 MiB less 64 KiB (the coordinator's --max-payload bound).
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024 - 64 * 1024

_QUEUED, _SENT, _ACCEPTED, _WITHDRAWN = range(4)
_STOP = object()
_ACK_INTERVAL = 0.05
_CALL_TIMEOUT = 30.0


def to_json(name, args):
    """The UTF-8 JSON of an argument list; TypeError naming the task when an argument is not JSON."""
    try:
        return json.dumps(args, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"the arguments of task '{name}' cannot be written as JSON: {e}") from None


def with_inputs(args):
    """The arguments with every ClusterFuture among them (in lists, tuples and dict values, at any
    depth) replaced by {"$clusterInput": k}, k its place among the task's inputs; and the inputs. The
    store puts each input's result in its place before the task runs."""
    inputs, places = [], {}

    def walk(value):
        if isinstance(value, ClusterFuture):
            k = places.get(value.task_id)
            if k is None:
                k = places[value.task_id] = len(inputs)
                inputs.append(value)
            return {"$clusterInput": k}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {key: walk(v) for key, v in value.items()}
        return value

    return walk(list(args)), inputs


def remote_error(task_id, error, dead_lettered=False, attempts=()):
    """A RemoteTaskError from a TaskError of the wire."""
    return RemoteTaskError(task_id, error.type, error.message, error.stack_trace, error.attempt,
                           dead_lettered, [remote_error(task_id, a) for a in attempts])


class ClusterFuture(Future):
    """A concurrent.futures.Future of one task on the cluster.

    It is a real Future: as_completed, wait, add_done_callback, result(timeout) work unchanged.
    `cancel()` withdraws a task not yet sent, or asks the coordinator to cancel it while it is
    queued; `cancel(interrupt=True)` also asks the worker to stop it while it runs. `running()` is
    true once a worker said it started; `progress` holds its last (fraction, message) report.
    """

    def __init__(self, executor, task_id, name, payload, chunked):
        super().__init__()
        self.task_id = task_id
        self.name = name
        self.progress = None
        self._executor = executor
        self._payload = payload
        self._chunked = chunked
        self._policy = None
        self._idempotency_key = None
        self._inputs = ()
        self._phase = _QUEUED
        self._answered = threading.Event()
        self._queued_at = time.monotonic()

    def cancel(self, interrupt=False):
        """True when the task is cancelled (it never ran, or, with interrupt, it is being stopped)."""
        return self._executor._cancel(self, interrupt)

    def __repr__(self):
        return f"<ClusterFuture {self.task_id} {self.name} {self._state}>"

    # Transitions made by the executor; each happens at most once.

    def _mark_running(self):
        with self._condition:
            if self._state == _base.PENDING:
                self._state = _base.RUNNING

    def _resolve(self, value=None, error=None):
        try:
            if error is None:
                self.set_result(value)
            else:
                self.set_exception(error)
            return True
        except _base.InvalidStateError:
            return False  # resolved before (a completion seen twice around a resume)

    def _resolve_cancelled(self):
        with self._condition:
            if self._state not in (_base.PENDING, _base.RUNNING):
                return self.cancelled()
            self._state = _base.CANCELLED
            self._condition.notify_all()
        # As an executor does: tell the waiters of as_completed and wait, then run the callbacks.
        self.set_running_or_notify_cancel()
        self._invoke_callbacks()
        return True


# A routing queue's name (TaskSpec.queue), and the longest delay the coordinator takes (10 years).
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_DELAY = 3653 * 86400


def _task_spec(future):
    """The wire's TaskSpec of a future to send: priority is sent only when set, as proto3 optional."""
    priority, queue, not_before = getattr(future, "_order", (None, None, 0))
    spec = pb.TaskSpec(id=future.task_id, name=future.name, args=future._payload, chunked=future._chunked,
                       policy=future._policy, idempotency_key=future._idempotency_key or "", queue=queue or "",
                       not_before_unix_ms=not_before)
    if priority is not None:
        spec.priority = priority
    spec.inputs.extend(f.task_id for f in future._inputs)
    return spec


class ClusterExecutor(Executor):
    """Runs tasks by name on the cluster's workers, as concurrent.futures runs functions.

    `address`: the coordinator, e.g. "127.0.0.1:5050" (also http://, https:// or dns:/// forms).
    `token`: sent as `authorization: Bearer TOKEN` when the coordinator has tokens.
    `tls_ca`: a PEM file of the authority that signed the coordinator's certificate (TLS).
    `unavailable_timeout`: seconds a task may wait for a coordinator to accept it before its future
    fails with ClusterUnavailableError (None: for ever). Default 30.
    Submits made close together travel in one batch (at most `max_batch_tasks` tasks and
    `max_batch_bytes` of arguments). Futures resolve from the session's completion stream, which
    resumes after the last completion received when it breaks.
    """

    def __init__(self, address, token=None, tls_ca=None, *, tls_cert=None, tls_key=None,
                 unavailable_timeout=30.0, max_batch_tasks=4096, max_batch_bytes=1 << 20):
        if not isinstance(max_batch_tasks, int) or max_batch_tasks < 1:
            raise ValueError(f"max_batch_tasks must be at least 1, not {max_batch_tasks!r}")
        if not isinstance(max_batch_bytes, int) or not 1 <= max_batch_bytes <= 2 * 1024 * 1024:
            raise ValueError(f"max_batch_bytes must be from 1 to 2 MiB (half of a 4 MiB message), not {max_batch_bytes!r}")
        if unavailable_timeout is not None and not unavailable_timeout > 0:
            raise ValueError(f"unavailable_timeout must be positive or None, not {unavailable_timeout!r}")
        self._metadata = _channel.metadata(token)
        self._channel = _channel.open_channel(address, tls_ca, tls_cert, tls_key)
        self._stub = rpc.TasksStub(self._channel)
        self._max_tasks = max_batch_tasks
        self._max_bytes = max_batch_bytes
        self._unavailable_timeout = unavailable_timeout
        self.session = secrets.token_hex(8)
        # Task ids travel to workers and logs: a random prefix of their own, not the session.
        self._prefix = secrets.token_hex(8)
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()
        self._futures = {}
        # Futures whose inputs a coordinator has not accepted yet: sent once it has.
        self._held = []
        self._submits = queue.SimpleQueue()
        self._shut_down = False
        self._idle = threading.Event()
        self._stopping = threading.Event()
        self._closed = threading.Event()
        self._stop_lock = threading.Lock()
        self._stopper = None
        self._call = None
        self._last_seq = 0
        self._acked_seq = 0
        # The store faults the last completion batch reported (None before the first batch).
        self._store_faults_seen = None
        self._recheck_lock = threading.Lock()
        # How often the completion stream broke and was resumed, and how many Submit calls were made.
        self.stream_breaks = 0
        self.submit_calls = 0
        self._threads = [
            threading.Thread(target=self._submit_loop, name="cluster-submit", daemon=True),
            threading.Thread(target=self._completion_loop, name="cluster-completions", daemon=True),
            threading.Thread(target=self._ack_loop, name="cluster-acks", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # ---- submitting -------------------------------------------------------------------------

    def submit(self, name, /, *args, **kwargs):
        """Schedules task `name` with positional `args` (sent as a JSON array); returns its future."""
        if kwargs:
            raise TypeError(f"task '{name}' takes positional arguments only (they travel as a JSON array), "
                            f"not {', '.join(sorted(kwargs))}=; submit_with takes a policy and an idempotency key")
        require_identifier("task name", name)
        args, inputs = with_inputs(args)
        return self._enqueue(name, to_json(name, args), chunked=False, inputs=inputs)

    def submit_with(self, name, /, *args, idempotency_key=None, max_attempts=0, retry_on=(), backoff=0.0,
                    backoff_max=0.0, soft_timeout=0.0, hard_timeout=0.0, max_lost_runs=0, priority=None, queue=None,
                    delay=None):
        """submit() with a policy for this task alone (zero keeps what its worker registered): at most
        `max_attempts` runs that raise a type named in `retry_on` ("*" for any), `backoff` seconds
        before the first retry (doubled up to `backoff_max`), `soft_timeout`/`hard_timeout` seconds,
        `max_lost_runs`. With `idempotency_key`, a second task with the key (within the coordinator's
        retention) is not created: its future fails with TaskRejectedError, code AlreadyExists, whose
        `existing_task_id` names the first. `priority` (0 lowest to 9 highest, default 5) orders the
        ready tasks of the name and queue; `queue` (default "default") sends the task only to workers
        listening to that queue; `delay` (seconds) runs it no earlier than that long after the
        coordinator stores it, by the store's clock."""
        require_identifier("task name", name)
        if idempotency_key is not None:
            require_identifier("idempotency key", idempotency_key)
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 9):
            raise ValueError(f"priority must be 0 (lowest) to 9 (highest), not {priority!r}")
        if queue is not None and not _QUEUE_NAME.match(queue if isinstance(queue, str) else ""):
            raise ValueError(f"queue {queue!r} is not a queue name: 1 to 64 letters, digits or _ . -")
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= _MAX_DELAY):
            raise ValueError(f"delay must be 0 to {_MAX_DELAY} seconds, not {delay!r}")
        args, inputs = with_inputs(args)
        if inputs and (idempotency_key is not None or delay):
            raise ValueError(f"task '{name}' takes futures among its arguments: it runs when they have finished, "
                             "so it can have neither an idempotency key nor a delay")
        policy = retry_policy(max_attempts, retry_on, backoff, backoff_max, soft_timeout, hard_timeout, max_lost_runs)
        future = self._enqueue(name, to_json(name, args), chunked=False, policy=policy, idempotency_key=idempotency_key,
                               order=(priority, queue, -math.ceil(delay * 1000) if delay else 0), inputs=inputs)
        return future

    def _enqueue(self, name, payload, chunked, policy=None, idempotency_key=None, order=(None, None, 0), inputs=()):
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"the arguments of task '{name}' are {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
        with self._lock:
            if self._shut_down:
                raise RuntimeError("cannot schedule new futures after shutdown")
            task_id = f"{self._prefix}.{next(self._sequence)}"
            future = ClusterFuture(self, task_id, name, payload, chunked)
            future._policy = policy
            future._idempotency_key = idempotency_key
            future._order = order
            future._inputs = tuple(inputs)
            self._futures[task_id] = future
            # The store must know a task's inputs: it is sent once a coordinator has accepted them.
            held = any(i._phase != _ACCEPTED for i in future._inputs)
            if held:
                self._held.append(future)
        if held:
            self._release_held()
        else:
            self._submits.put(future)
        return future

    def _release_held(self):
        """Sends the held futures whose inputs are all accepted now; fails those with an input that
        ended without being accepted (refused, withdrawn, or never taken by a coordinator)."""
        # Read without the lock: whoever holds a future calls this after, so none is missed, and the
        # common case (nothing held) takes no lock on each completion.
        if not self._held:
            return
        ready, failed = [], []
        with self._lock:
            left = []
            for future in self._held:
                lost = next((i for i in future._inputs if i._phase != _ACCEPTED and i.done()), None)
                if lost is not None:
                    failed.append((future, lost))
                elif all(i._phase == _ACCEPTED for i in future._inputs):
                    ready.append(future)
                else:
                    left.append(future)
            self._held = left
        for future, lost in failed:
            with self._lock:
                unsent = future._phase == _QUEUED
                if unsent:
                    future._phase = _WITHDRAWN
            if unsent:
                why = "was cancelled" if lost.cancelled() else f"failed: {lost.exception()}"
                self._fail(future, RemoteTaskError(future.task_id, "Cluster.DependencyFailed",
                                                   f"input task {lost.task_id} {why}", "", 0))
        for future in ready:
            self._submits.put(future)

    def map(self, name, *iterables, timeout=None, chunksize=1):
        """Results of `name` called with arguments taken from each iterable, in order (as
        Executor.map). With chunksize > 1, each `chunksize` calls run as one task on one worker."""
        if not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if chunksize == 1:
            return super().map(name, *iterables, timeout=timeout)
        require_identifier("task name", name)
        end_time = None if timeout is None else timeout + time.monotonic()
        calls = [list(args) for args in zip(*iterables)]
        fs = [self._enqueue(name, to_json(name, calls[i:i + chunksize]), chunked=True)
              for i in range(0, len(calls), chunksize)]

        def result_iterator():
            try:
                fs.reverse()
                while fs:
                    left = None if end_time is None else end_time - time.monotonic()
                    future = fs.pop()
                    try:
                        entries = future.result(left)
                    finally:
                        future.cancel()
                    for entry in entries:
                        if "error" in entry:
                            e = entry["error"]
                            raise RemoteTaskError(future.task_id, e.get("type", ""), e.get("message", ""),
                                                  e.get("stackTrace", ""), 1)
                        yield entry.get("ok")
            finally:
                for future in fs:
                    future.cancel()
        return result_iterator()

    def _submit_loop(self):
        carry = None
        while True:
            first = carry if carry is not None else self._submits.get()
            carry = None
            if first is _STOP:
                return
            batch, size, stop = [], 0, False
            item = first
            while True:
                if self._take(item):
                    batch.append(item)
                    size += len(item._payload)
                if len(batch) >= self._max_tasks:
                    break
                try:
                    item = self._submits.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                if batch and size + len(item._payload) > self._max_bytes:
                    carry = item  # a batch stays within max_batch_bytes; a larger task travels alone
                    break
            if batch:
                self._send(batch)
            if stop:
                return

    def _take(self, future):
        """Marks a queued future sent; False when it was cancelled before it left."""
        with self._lock:
            if future._phase != _QUEUED:
                return False
            future._phase = _SENT
            return True

    def _send(self, batch):
        """Sends one batch until a coordinator answers; a task unaccepted past the timeout fails."""
        backoff = _channel.Backoff()
        attempt = 0
        while batch:
            attempt += 1
            request = pb.SubmitRequest(session=self.session, tasks=[
                _task_spec(f) for f in batch])
            self.submit_calls += 1
            try:
                reply = self._stub.Submit(request, metadata=self._metadata, timeout=_CALL_TIMEOUT)
            except grpc.RpcError as e:
                if e.code() in _channel.RETRYABLE and not self._closed.is_set():
                    batch = self._give_up_expired(batch, e)
                    if batch and backoff.wait(self._closed):
                        batch = self._give_up_expired(batch, e, now=True)
                    continue
                for f in batch:
                    self._fail(f, TaskRejectedError(f.task_id, _status_name(e.code()), e.details() or ""))
                return
            self._answered(batch, reply, attempt)
            return

    def _answered(self, batch, reply, attempt):
        refused = set()
        for rejection in reply.rejected:
            future = batch[rejection.index]
            # A retried batch may find its own task stored by the call that seemed to fail.
            if attempt > 1 and rejection.code == "AlreadyExists" and rejection.existing_task_id in ("", future.task_id):
                continue
            refused.add(rejection.index)
            self._fail(future, TaskRejectedError(future.task_id, rejection.code, rejection.message,
                                                 rejection.existing_task_id or None))
        for i, future in enumerate(batch):
            if i not in refused:
                # Accepted: the task is durable in the store from here on.
                with self._lock:
                    future._phase = _ACCEPTED
                future._payload = b""
                future._answered.set()
        self._release_held()

    def _give_up_expired(self, batch, error, now=False):
        if self._unavailable_timeout is None and not now:
            return batch
        left = []
        for future in batch:
            waited = time.monotonic() - future._queued_at
            if now or waited >= self._unavailable_timeout:
                self._fail(future, ClusterUnavailableError(future.task_id, waited, _status_name(error.code()),
                                                           error.details() or ""))
            elif not future.done():
                left.append(future)
        return left

    def _fail(self, future, error):
        future._answered.set()
        future._resolve(error=error)
        self._forget(future)

    def _forget(self, future):
        with self._lock:
            self._futures.pop(future.task_id, None)
            if self._shut_down and not self._futures:
                self._idle.set()
        self._release_held()

    # ---- cancelling -------------------------------------------------------------------------

    def _cancel(self, future, interrupt):
        if future.done():
            return future.cancelled()
        with self._lock:
            withdrawn = future._phase == _QUEUED
            if withdrawn:
                future._phase = _WITHDRAWN
        if withdrawn:
            future._resolve_cancelled()
            self._forget(future)
            return True
        # Sent: the coordinator decides, once it has answered the submit.
        future._answered.wait(self._unavailable_timeout)
        if future.done() or not future._answered.is_set():
            return future.cancelled()
        try:
            reply = self._stub.Cancel(
                pb.CancelRequest(session=self.session, task_ids=[future.task_id], interrupt=interrupt),
                metadata=self._metadata, timeout=_CALL_TIMEOUT)
        except grpc.RpcError:
            # As concurrent.futures: cancelling is best effort; the future resolves from its completion.
            return future.cancelled()
        if len(reply.cancelled) == 1 and reply.cancelled[0]:
            # Cancelled while queued: it never runs, and a completion saying so follows.
            future._resolve_cancelled()
            self._forget(future)
            return True
        return (interrupt and len(reply.interrupted) == 1 and reply.interrupted[0]) or future.cancelled()

    # ---- completions ------------------------------------------------------------------------

    def _completion_loop(self):
        backoff = _channel.Backoff()
        while not self._stopping.is_set():
            call = self._stub.Completions(
                pb.CompletionsRequest(session=self.session, after_seq=self._last_seq), metadata=self._metadata)
            with self._lock:
                self._call = call
            if self._stopping.is_set():
                call.cancel()
            try:
                for batch in call:
                    backoff.reset()
                    self._on_store_faults(batch.store_faults)
                    for event in batch.events:
                        self._on_event(event)
                    for completion in batch.completions:
                        self._on_completion(completion)
            except grpc.RpcError:
                if self._stopping.is_set():
                    return
            # Broken (a coordinator restart, a network fault): resume after the last one received.
            self.stream_breaks += 1
            if backoff.wait(self._stopping):
                return

    def _on_store_faults(self, faults):
        # A count other than the last one seen: a coordinator's store connection failed since, and
        # a store that failed over may have lost a submit or a completion it acknowledged just before.
        seen, self._store_faults_seen = self._store_faults_seen, faults
        if seen is None or seen == faults:
            return
        threading.Thread(target=self._recheck, name="cluster-recheck", daemon=True).start()

    def _recheck(self):
        """Asks where each accepted task without a completion stands: a finished one resolves from
        the answer, one the store does not know fails with TaskLostError, the rest wait as before."""
        with self._recheck_lock:
            waiting = [f for f in list(self._futures.values()) if f._phase == _ACCEPTED and not f.done()]
            for future in waiting:
                backoff = _channel.Backoff()
                while not future.done() and not self._stopping.is_set():
                    try:
                        reply = self._stub.Attach(pb.AttachRequest(task_id=future.task_id, peek=True),
                                                  metadata=self._metadata, timeout=_CALL_TIMEOUT)
                    except grpc.RpcError as e:
                        if e.code() == grpc.StatusCode.NOT_FOUND:
                            future._resolve(error=TaskLostError(future.task_id, future.name, e.details()))
                            future._answered.set()
                            self._forget(future)
                        elif e.code() in _channel.RETRYABLE and not backoff.wait(self._stopping):
                            continue
                        break
                    if reply.HasField("completion"):
                        reply.completion.task_id = future.task_id
                        reply.completion.seq = 0
                        self._on_completion(reply.completion)
                    break

    def _on_event(self, event):
        future = self._futures.get(event.task_id)
        if future is None:
            return
        future._mark_running()
        if event.WhichOneof("kind") == "progress":
            future.progress = (event.progress.fraction, event.progress.message)

    def _on_completion(self, completion):
        # A completion seen twice (around a resume) finds its future gone: it resolves once.
        future = self._futures.get(completion.task_id)
        if future is not None:
            # Only the store sends completions: the task was accepted, even when its submit's reply
            # is not in yet (a waiting worker can run it first). Its dependents may be sent.
            with self._lock:
                future._phase = _ACCEPTED
            outcome = completion.WhichOneof("outcome")
            if outcome == "result":
                try:
                    future._resolve(value=json.loads(completion.result))
                except ValueError as e:
                    future._resolve(error=RuntimeError(f"task {completion.task_id} returned a result that is not JSON: {e}"))
            elif outcome == "error":
                future._resolve(error=remote_error(completion.task_id, completion.error,
                                                   completion.dead_lettered, completion.attempts))
            elif outcome == "cancelled":
                future._resolve_cancelled()
            else:
                future._resolve(error=RuntimeError(f"task {completion.task_id} completed without an outcome"))
            future._answered.set()
            self._forget(future)
        if completion.seq > self._last_seq:
            self._last_seq = completion.seq

    def _ack_loop(self):
        while not self._stopping.wait(_ACK_INTERVAL):
            self._ack()

    def _ack(self):
        seq = self._last_seq
        if seq <= self._acked_seq:
            return
        try:
            # Acknowledged: this client holds these completions, so the store may forget them.
            self._stub.Ack(pb.AckRequest(session=self.session, up_to_seq=seq), metadata=self._metadata, timeout=5)
            self._acked_seq = seq
        except grpc.RpcError:
            pass  # the next tick acknowledges again; meanwhile the store keeps them

    # ---- shutting down ----------------------------------------------------------------------

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Stops accepting tasks. With cancel_futures, cancels those not yet running first (best
        effort); with wait, returns once every future is done, then closes the streams (without it,
        they close in the background when the last future is done)."""
        with self._lock:
            self._shut_down = True
            pending = list(self._futures.values())
            if not self._futures:
                self._idle.set()
        if cancel_futures:
            for future in pending:
                future.cancel()  # best effort: one no coordinator cancels resolves from its completion
        with self._stop_lock:
            if self._stopper is None:
                self._stopper = threading.Thread(target=self._stop_when_idle, name="cluster-stop", daemon=True)
                self._stopper.start()
        if wait:
            self._stopper.join()

    def _stop_when_idle(self):
        self._idle.wait()
        self._submits.put(_STOP)
        self._threads[0].join()
        self._ack()
        self._stopping.set()
        self._closed.set()
        with self._lock:
            call = self._call
        if call is not None:
            call.cancel()
        for thread in self._threads[1:]:
            thread.join()
        self._channel.close()

    @property
    def pending_count(self):
        """Futures of this executor not yet done."""
        with self._lock:
            return len(self._futures)


def _status_name(code):
    """A gRPC status as the wire's rejections name it: UNAVAILABLE -> Unavailable."""
    return "".join(part.capitalize() for part in code.name.split("_"))

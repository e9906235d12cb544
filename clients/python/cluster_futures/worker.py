"""A worker: serves task names with Python functions over the cluster's Workers stream.

Plain functions run on a bounded thread pool; `async def` functions on one asyncio loop in a
thread of its own, many in flight at once. Each connection says hello under a new worker id with
the credits of its free slots, heartbeats from a thread of its own, answers every assignment once
at the attempt it was sent (the lease's fencing token), sends a credit with each slot that comes
free, honours cancel and revoked, and drains on stop: it takes no new tasks, hands back those not
started, lets running ones finish within a grace period, sends their results, then closes.
"""

import asyncio
import contextvars
import inspect
import json
import logging
import os
import queue
import secrets
import signal
import socket
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import grpc

from . import _channel
from ._policy import retry_policy
from ._proto import cluster_pb2 as pb
from ._proto import cluster_pb2_grpc as rpc
from .errors import require_identifier

log = logging.getLogger("cluster_futures.worker")

_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024 - 64 * 1024
_MAX_ERROR_MESSAGE = 4096
_MAX_STACK_TRACE = 16384
_END = object()
_current = contextvars.ContextVar("cluster_futures_task", default=None)


class WorkerRefusedError(Exception):
    """The coordinator refused this worker's hello (a bad token, a missing role or task name, a bad
    handler name): connecting again would not help. `code` is the gRPC status."""

    def __init__(self, code, details):
        super().__init__(f"the coordinator refused this worker ({code.name}): {details}")
        self.code = code
        self.details = details


# Refusals of a hello that another try would meet again.
_REFUSED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT)


class TaskCancelled(Exception):
    """Raised by TaskContext.raise_if_cancelled: the task was interrupted, timed out, or the worker stops."""


class TaskContext:
    """What a handler knows of the task it runs: `task_id`, `name`, `attempt` (from 1), `cancelled`
    (a threading.Event set on interrupt, soft timeout or shutdown), and `report_progress`."""

    def __init__(self, worker, run):
        self._worker = worker
        self._run = run
        a = run.assignment
        self.task_id = a.task_id
        self.name = a.name
        self.attempt = a.attempt
        self.cancelled = threading.Event()
        self.timed_out = False

    def report_progress(self, fraction, message=""):
        """Tells the client how far the task is (0..1): its future's `progress` shows the last report."""
        fraction = min(1.0, max(0.0, float(fraction)))
        self._worker._notice(self._run, pb.Progress(fraction=fraction, message=str(message)[:1024]))

    def raise_if_cancelled(self):
        """Raises TaskCancelled once the task is asked to stop; call it in long loops."""
        if self.cancelled.is_set():
            raise TaskCancelled(f"task {self.task_id} was cancelled")


class Handler:
    """A task's function with the policy the worker registers for its name (see `handler`)."""

    def __init__(self, fn, policy):
        if not callable(fn):
            raise TypeError(f"a handler must be callable, not {fn!r}")
        self.fn = fn
        self.policy = policy


def handler(fn, *, max_attempts=0, retry_on=(), backoff=0.0, backoff_max=0.0, soft_timeout=0.0, hard_timeout=0.0,
            max_lost_runs=0):
    """`fn` with the default policy of its task name: at most `max_attempts` runs that raise a type
    named in `retry_on` (full names such as "builtins.OSError", or "*"), `backoff` seconds before the
    first retry (doubled up to `backoff_max`), `soft_timeout` seconds before its cancellation fires,
    `max_lost_runs` runs lost with a worker. A client's policy for one task overrides it."""
    return Handler(fn, retry_policy(max_attempts, retry_on, backoff, backoff_max, soft_timeout, hard_timeout, max_lost_runs))


def current_task():
    """The TaskContext of the task this code runs in (in a handler, on its thread or coroutine); None outside one."""
    return _current.get()


class _Run:
    __slots__ = ("assignment", "generation", "kind", "handler", "context", "started", "withdrawn",
                 "revoked", "task", "timer")

    def __init__(self, assignment, generation, kind, handler):
        self.assignment = assignment
        self.generation = generation
        self.kind = kind
        self.handler = handler
        self.context = None
        self.started = False
        self.withdrawn = False
        self.revoked = False
        self.task = None
        self.timer = None


class Worker:
    """One worker process's connection to the cluster; `run()` serves until `stop()` has drained it.

    `handlers`: a dict of task name to function, or an iterable of functions named by `__name__`.
    `threads`: the thread pool's size for plain functions (default: CPU count x 5).
    `coroutines`: the most `async def` tasks in flight at once (default 1000).
    `token`, `tls_ca`, `tls_cert`, `tls_key`: as for ClusterExecutor (a worker token has the worker role).
    `drain_grace`: seconds running tasks get to finish on stop before they are asked to stop.
    """

    def __init__(self, address, handlers, *, threads=None, coroutines=1000, token=None, tls_ca=None,
                 tls_cert=None, tls_key=None, drain_grace=30.0):
        named = _named(handlers)
        self._handlers = {name: (h.fn if isinstance(h, Handler) else h) for name, h in named.items()}
        self._policies = {name: h.policy for name, h in named.items() if isinstance(h, Handler) and h.policy is not None}
        self._threads = threads if threads is not None else (os.cpu_count() or 1) * 5
        if not isinstance(self._threads, int) or not 1 <= self._threads <= 1_000_000:
            raise ValueError(f"threads must be from 1 to 1000000, not {self._threads!r}")
        if not isinstance(coroutines, int) or not 1 <= coroutines <= 1_000_000:
            raise ValueError(f"coroutines must be from 1 to 1000000, not {coroutines!r}")
        self._coroutines = coroutines
        self._address = address
        _channel.parse_address(address)
        self._metadata = _channel.metadata(token)
        self._tls = (tls_ca, tls_cert, tls_key)
        self._drain_grace = drain_grace
        self._kinds = {name: (pb.EXECUTION_KIND_COROUTINE if inspect.iscoroutinefunction(fn) else pb.EXECUTION_KIND_THREAD_POOL)
                       for name, fn in self._handlers.items()}
        self._lock = threading.Lock()
        self._runs = {}
        self._busy = {pb.EXECUTION_KIND_THREAD_POOL: 0, pb.EXECUTION_KIND_COROUTINE: 0}
        self._idle = threading.Event()
        self._idle.set()
        self._generation = 0
        self._outbox = queue.SimpleQueue()
        self._heartbeat_s = 1.0
        self._max_result_bytes = _MAX_PAYLOAD_BYTES
        self._stop = threading.Event()
        self._draining = False
        self._drained = threading.Event()
        self._call = None
        self.worker_id = None
        self.connected = threading.Event()
        self.connections = 0
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="cluster-task")
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="cluster-coroutines", daemon=True)
        self._loop_thread.start()

    # ---- the connection ---------------------------------------------------------------------

    def run(self):
        """Connects, and again after each break (with a new worker id), until stopped and drained.
        Raises WorkerRefusedError when the coordinator refuses the hello itself."""
        backoff = _channel.Backoff(0.1, 5.0)
        heartbeat = threading.Thread(target=self._heartbeat_loop, name="cluster-heartbeat", daemon=True)
        heartbeat.start()
        try:
            while not self._drained.is_set() and not (self._stop.is_set() and not self._runs):
                try:
                    self._connect_once()
                    backoff.reset()
                except grpc.RpcError as e:
                    if e.code() in _REFUSED and not self.connected.is_set():
                        raise WorkerRefusedError(e.code(), e.details()) from None
                    if e.code() == grpc.StatusCode.ABORTED:
                        log.warning("the coordinator took this worker's leases (%s); connecting again", e.details())
                        backoff.reset()
                    elif not self._stop.is_set():
                        log.warning("worker stream broke (%s: %s); connecting again", e.code().name, e.details())
                finally:
                    self.connected.clear()
                    self.worker_id = None
                if self._drained.is_set() or self._stop.is_set():
                    break
                if backoff.wait(self._stop):
                    break
        finally:
            self._stop.set()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(5)
            if not self._loop.is_running():
                self._loop.close()

    def _connect_once(self):
        channel = _channel.open_channel(self._address, *self._tls)
        try:
            with self._lock:
                self._generation += 1
                generation = self._generation
                outbox = self._outbox = queue.SimpleQueue()
                # A new connection starts from the slots free now (runs of an earlier one may still hold some).
                free_threads = self._threads - self._busy[pb.EXECUTION_KIND_THREAD_POOL]
                free_coroutines = self._coroutines - self._busy[pb.EXECUTION_KIND_COROUTINE]
            worker_id = f"{socket.gethostname()}-{os.getpid()}-{generation}-{secrets.token_hex(3)}"
            hello = pb.Hello(worker_id=worker_id, host=socket.gethostname(), process_id=os.getpid(),
                             threads=self._threads, coroutines=self._coroutines, thread_slots=self._threads,
                             handlers=[pb.HandlerInfo(name=n, kind=k, policy=self._policies.get(n)) for n, k in self._kinds.items()])
            first = pb.WorkerMessage(hello=hello, thread_credits=max(0, free_threads),
                                     coroutine_credits=max(0, free_coroutines), draining=self._draining)
            call = rpc.WorkersStub(channel).Connect(self._requests(outbox, first, generation), metadata=self._metadata)
            self._call = call
            self.worker_id = worker_id
            self.connections += 1
            try:
                for message in call:
                    if message.HasField("welcome"):
                        self._welcome(message.welcome, worker_id)
                    for assignment in message.assignments:
                        self._dispatch(assignment, generation)
                    if message.cancel:
                        self._cancel(message.cancel)
                    if message.revoked:
                        self._revoke(message.revoked, generation)
            finally:
                outbox.put(_END)  # releases the request generator of this connection
        finally:
            channel.close()

    def _welcome(self, welcome, worker_id):
        if welcome.heartbeat_interval_ms > 0:
            self._heartbeat_s = welcome.heartbeat_interval_ms / 1000
        if welcome.max_result_bytes > 0:
            self._max_result_bytes = min(welcome.max_result_bytes, _MAX_PAYLOAD_BYTES)
        log.info("worker %s connected to %s (coordinator %s) serving %s", worker_id, self._address,
                 welcome.coordinator, ", ".join(sorted(self._handlers)))
        self.connected.set()

    def _requests(self, outbox, first, generation):
        """The request stream: the hello, then whatever is waiting, coalesced into one message."""
        yield first
        while True:
            item = outbox.get()
            if item is _END:
                return
            items = [item]
            while len(items) < 4096:
                try:
                    items.append(outbox.get_nowait())
                except queue.Empty:
                    break
            message, end = self._coalesce(items, generation)
            if message is not None:
                yield message
            if end:
                return

    def _coalesce(self, items, generation):
        message = pb.WorkerMessage()
        credits = {pb.EXECUTION_KIND_THREAD_POOL: 0, pb.EXECUTION_KIND_COROUTINE: 0}
        notices = {}
        end = False
        for item in items:
            if item is _END:
                end = True
                break
            kind = item[0]
            if kind == "result":
                _, result, slot = item
                message.results.append(result)
                credits[slot] += 1
            elif kind == "credit":
                credits[item[1]] += 1
            elif kind == "notice":
                notice = item[1]
                # The latest notice of each kind per task; Started before Progress.
                notices[(notice.task_id, notice.WhichOneof("kind"))] = notice
            elif kind == "heartbeat":
                message.heartbeat.SetInParent()
            elif kind == "released":
                message.released.extend(item[1])
                message.draining = True
            elif kind == "close":
                end = True
                break
        answered = {r.task_id for r in message.results}
        message.events.extend(n for (task_id, _), n in sorted(notices.items(), key=lambda kv: kv[0][1] != "started")
                              if task_id not in answered)
        if not self._draining:
            if credits[pb.EXECUTION_KIND_THREAD_POOL]:
                message.thread_credits = credits[pb.EXECUTION_KIND_THREAD_POOL]
            if credits[pb.EXECUTION_KIND_COROUTINE]:
                message.coroutine_credits = credits[pb.EXECUTION_KIND_COROUTINE]
        if message.ByteSize() == 0:
            return None, end
        return message, end

    def _send(self, generation, item):
        """Queues an item for the connection of `generation`; a credit goes to the current one."""
        with self._lock:
            if generation == self._generation:
                self._outbox.put(item)
            elif item[0] == "result":
                # The stream its lease belonged to is gone (the lease went back); the slot is free here.
                self._outbox.put(("credit", item[2]))

    def _heartbeat_loop(self):
        # A thread of its own: busy handlers cannot starve the heartbeats.
        while not self._stop.wait(self._heartbeat_s):
            if self.connected.is_set():
                with self._lock:
                    self._outbox.put(("heartbeat",))

    # ---- runs -------------------------------------------------------------------------------

    def _dispatch(self, assignment, generation):
        handler = self._handlers.get(assignment.name)
        kind = self._kinds.get(assignment.name, pb.EXECUTION_KIND_THREAD_POOL)
        run = _Run(assignment, generation, kind, handler)
        run.context = TaskContext(self, run)
        with self._lock:
            if self._draining:
                # Leased before the coordinator read that this worker drains: handed back unstarted.
                self._outbox.put(("released", [assignment.task_id]))
                return
            self._runs[assignment.task_id] = run
            self._busy[kind] += 1
            self._idle.clear()
        if assignment.soft_timeout_ms > 0:
            run.timer = threading.Timer(assignment.soft_timeout_ms / 1000, self._soft_timeout, args=(run,))
            run.timer.daemon = True
            run.timer.start()
        if kind == pb.EXECUTION_KIND_COROUTINE:
            self._loop.call_soon_threadsafe(self._start_coroutine, run)
        else:
            self._pool.submit(self._run_sync, run)

    def _start(self, run):
        """Marks the run started; False when it was handed back or revoked before it began."""
        with self._lock:
            if run.withdrawn:
                return False  # handed back: its slot was freed then
            run.started = True
        if run.revoked:
            self._finish(run, None)
            return False
        self._notice(run, None)
        return True

    def _run_sync(self, run):
        if not self._start(run):
            return
        token = _current.set(run.context)
        try:
            outcome = self._call_sync(run)
        finally:
            _current.reset(token)
        self._finish(run, outcome)

    def _call_sync(self, run):
        try:
            args = json.loads(run.assignment.args)
            if run.assignment.chunked:
                return ("value", [self._entry(lambda a=a: run.handler(*a)) for a in args])
            return ("value", run.handler(*args))
        except BaseException as e:  # noqa: B902 - every failure of a handler is its task's error
            return self._failure(run, e)

    @staticmethod
    def _entry(call):
        try:
            return {"ok": call()}
        except Exception as e:
            return {"error": _error_dict(e)}

    def _start_coroutine(self, run):
        run.task = self._loop.create_task(self._run_coroutine(run))

    async def _run_coroutine(self, run):
        if not self._start(run):
            return
        _current.set(run.context)  # the task runs in a context of its own
        try:
            args = json.loads(run.assignment.args)
            if run.assignment.chunked:
                entries = []
                for a in args:
                    try:
                        entries.append({"ok": await run.handler(*a)})
                    except Exception as e:
                        entries.append({"error": _error_dict(e)})
                outcome = ("value", entries)
            else:
                outcome = ("value", await run.handler(*args))
        except BaseException as e:  # noqa: B902 - CancelledError included: an interrupt
            outcome = self._failure(run, e)
        self._finish(run, outcome)

    def _failure(self, run, e):
        if run.context.cancelled.is_set() and isinstance(e, (TaskCancelled, asyncio.CancelledError)):
            if run.context.timed_out:
                return ("error", TimeoutError(f"task {run.assignment.task_id} ran past its soft timeout of {run.assignment.soft_timeout_ms} ms"))
            return ("cancelled", None)
        return ("error", e)

    def _soft_timeout(self, run):
        run.context.timed_out = True
        self._stop_run(run)

    def _stop_run(self, run):
        run.context.cancelled.set()
        if run.task is not None:
            self._loop.call_soon_threadsafe(run.task.cancel)
        elif run.kind == pb.EXECUTION_KIND_COROUTINE:
            self._loop.call_soon_threadsafe(lambda: run.task is not None and run.task.cancel())

    def _finish(self, run, outcome):
        if run.timer is not None:
            run.timer.cancel()
        a = run.assignment
        result = None
        if outcome is not None and not run.revoked:
            result = pb.TaskResult(task_id=a.task_id, session=a.session, attempt=a.attempt)
            kind, value = outcome
            if kind == "value":
                try:
                    payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
                    if len(payload) > self._max_result_bytes:
                        raise ValueError(f"the result of task '{a.name}' is {len(payload)} bytes; the coordinator takes at most {self._max_result_bytes}")
                    result.value = payload
                except (TypeError, ValueError) as e:
                    result.error.CopyFrom(_task_error(e, a.attempt))
            elif kind == "error":
                result.error.CopyFrom(_task_error(value, a.attempt))
            else:
                result.cancelled.SetInParent()
        with self._lock:
            if self._runs.get(a.task_id) is run:
                del self._runs[a.task_id]
            self._busy[run.kind] -= 1
            if sum(self._busy.values()) == 0:
                self._idle.set()
            if result is not None and run.generation == self._generation:
                self._outbox.put(("result", result, run.kind))
            else:
                self._outbox.put(("credit", run.kind))

    def _notice(self, run, progress):
        a = run.assignment
        event = pb.TaskEvent(task_id=a.task_id, session=a.session, attempt=a.attempt)
        if progress is None:
            event.started.SetInParent()
        else:
            event.progress.CopyFrom(progress)
        self._send(run.generation, ("notice", event))

    def _cancel(self, ids):
        with self._lock:
            runs = [self._runs[i] for i in ids if i in self._runs]
        for run in runs:
            self._stop_run(run)

    def _revoke(self, ids, generation):
        """The coordinator took these leases: stop the runs; whatever they return is not sent."""
        with self._lock:
            runs = [r for i in ids if (r := self._runs.get(i)) is not None and r.generation == generation]
            for run in runs:
                run.revoked = True
        for run in runs:
            self._stop_run(run)
        log.warning("the coordinator took %d leases of this worker; their runs stop", len(runs))

    # ---- stopping ---------------------------------------------------------------------------

    def stop(self, wait=True):
        """Drains: no new tasks, those not started go back, running ones get `drain_grace` seconds,
        their results go out, then the stream closes and `run()` returns."""
        with self._lock:
            if self._draining:
                first = False
            else:
                first = True
                self._draining = True
        if first:
            threading.Thread(target=self._drain, name="cluster-drain", daemon=True).start()
        if wait:
            self._drained.wait()

    def _drain(self):
        try:
            with self._lock:
                released = []
                for run in self._runs.values():
                    if not run.started and not run.withdrawn and run.generation == self._generation:
                        run.withdrawn = True
                        released.append(run.assignment.task_id)
                        self._busy[run.kind] -= 1
                for task_id in released:
                    del self._runs[task_id]
                if sum(self._busy.values()) == 0:
                    self._idle.set()
                self._outbox.put(("released", released))
            log.info("draining: %d tasks handed back, %d running", len(released), len(self._runs))
            if not self._idle.wait(self._drain_grace):
                with self._lock:
                    runs = list(self._runs.values())
                for run in runs:
                    self._stop_run(run)
                self._idle.wait(2.0)
            # The last results go out, then the request stream ends: the coordinator commits all it
            # read before it ends the call, so none runs twice.
            with self._lock:
                self._outbox.put(("close",))
        finally:
            self._stop.set()
            self._drained.set()


def _named(handlers):
    named = dict(handlers) if isinstance(handlers, dict) else {
        (fn.fn if isinstance(fn, Handler) else fn).__name__: fn for fn in handlers}
    if not named:
        raise ValueError("handlers is empty: give at least one task name and its function")
    for name, fn in named.items():
        require_identifier("task name", name)
        if not callable(fn) and not isinstance(fn, Handler):
            raise TypeError(f"the handler of task '{name}' is not callable: {fn!r}")
    return named


def _type_name(e):
    t = type(e)
    return f"{t.__module__}.{t.__qualname__}"


def _error_dict(e):
    return {"type": _type_name(e), "message": str(e)[:_MAX_ERROR_MESSAGE],
            "stackTrace": "".join(traceback.format_exception(type(e), e, e.__traceback__))[:_MAX_STACK_TRACE]}


def _task_error(e, attempt):
    d = _error_dict(e)
    return pb.TaskError(type=d["type"], message=d["message"], stack_trace=d["stackTrace"], attempt=attempt)


def serve(address, handlers, threads=None, coroutines=1000, **options):
    """Serves `handlers` (a dict of task name to function, or a list of functions) until SIGTERM or
    SIGINT, then drains and returns. Plain functions run on `threads` threads, `async def` ones
    on an asyncio loop, at most `coroutines` at once. Other options: see Worker."""
    worker = Worker(address, handlers, threads=threads, coroutines=coroutines, **options)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: worker.stop(wait=False))
    worker.run()
    return worker

"""The Python worker, served in this process, with tasks submitted by the Python client."""

import asyncio
import threading
import unittest
from concurrent.futures import CancelledError

from _support import IN_CI, Relay, cluster_address, cluster_token, require_modules, target
from test_client import LONG, eventually


def square(x):
    return x * x


def where():
    return threading.current_thread().name


async def where_async():
    await asyncio.sleep(0)
    return threading.current_thread().name


def fail(message):
    raise ValueError(message)


async def progress(steps):
    from cluster_futures import current_task
    for i in range(1, steps + 1):
        current_task().report_progress(i / steps, f"step {i} of {steps}")
        await asyncio.sleep(0.05)
    return steps


async def wait_forever():
    await asyncio.sleep(3600)


def spin_until_cancelled():
    from cluster_futures import current_task
    task = current_task()
    while not task.cancelled.wait(0.01):
        pass
    task.raise_if_cancelled()


def flaky_once():
    from cluster_futures import current_task
    if current_task().attempt == 1:
        raise OSError("the first attempt fails")
    return current_task().attempt


def attempt():
    from cluster_futures import current_task
    return current_task().attempt


HANDLERS = {
    "pytest.square": square,
    "pytest.where": where,
    "pytest.where_async": where_async,
    "pytest.fail": fail,
    "pytest.progress": progress,
    "pytest.wait_forever": wait_forever,
    "pytest.spin": spin_until_cancelled,
    "pytest.attempt": attempt,
}


class WorkerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_modules()
        cls.address = cluster_address()
        from cluster_futures import ClusterExecutor, Worker, handler
        cls.Worker = Worker
        handlers = dict(HANDLERS, **{"pytest.flaky": handler(flaky_once, max_attempts=2, retry_on=["builtins.OSError"], backoff=0.01)})
        cls.worker = Worker(cls.address, handlers, threads=4, coroutines=100, drain_grace=5, token=cluster_token())
        cls.thread = threading.Thread(target=cls.worker.run, daemon=True)
        cls.thread.start()
        if not cls.worker.connected.wait(LONG):
            raise AssertionError("the Python worker did not connect")
        cls.executor = ClusterExecutor(cls.address, token=cluster_token())

    @classmethod
    def tearDownClass(cls):
        cls.executor.shutdown(wait=True, cancel_futures=True)
        cls.worker.stop()
        cls.thread.join(LONG)

    def start_worker(self, handlers, address=None, **options):
        worker = self.Worker(address or self.address, handlers, token=cluster_token(), **options)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        self.addCleanup(lambda: (worker.stop(), thread.join(LONG)))
        self.assertTrue(worker.connected.wait(LONG), "the worker connected")
        return worker, thread

    def test_plain_functions_run_on_the_thread_pool(self):
        self.assertEqual([i * i for i in range(50)], list(self.executor.map("pytest.square", range(50), timeout=LONG)))
        self.assertTrue(self.executor.submit("pytest.where").result(LONG).startswith("cluster-task"))

    def test_async_functions_run_on_the_asyncio_loop(self):
        self.assertEqual("cluster-coroutines", self.executor.submit("pytest.where_async").result(LONG))

    def test_map_in_chunks_runs_on_the_python_worker(self):
        results = self.executor.map("pytest.square", range(23), timeout=LONG, chunksize=5)
        self.assertEqual([i * i for i in range(23)], list(results))

    def test_handler_error_reaches_the_client_with_type_message_and_stack(self):
        from cluster_futures import RemoteTaskError
        with self.assertRaises(RemoteTaskError) as raised:
            self.executor.submit("pytest.fail", "no such thing").result(LONG)
        self.assertEqual("builtins.ValueError", raised.exception.remote_type)
        self.assertEqual("no such thing", raised.exception.remote_message)
        self.assertIn("in fail", raised.exception.remote_stack_trace)

    def test_the_policy_a_handler_registers_retries_its_task(self):
        self.assertEqual(2, self.executor.submit("pytest.flaky").result(LONG))

    def test_progress_reaches_the_future(self):
        future = self.executor.submit("pytest.progress", 40)
        eventually(lambda: future.progress is not None, "a progress report arrived")
        fraction, message = future.progress
        self.assertTrue(0 < fraction <= 1)
        self.assertRegex(message, r"step \d+ of 40")
        self.assertEqual(40, future.result(LONG))

    def test_interrupt_cancels_a_running_coroutine(self):
        future = self.executor.submit("pytest.wait_forever")
        eventually(future.running, "the coroutine started")
        self.assertTrue(future.cancel(interrupt=True))
        with self.assertRaises(CancelledError):
            future.result(LONG)

    def test_interrupt_stops_a_plain_function_that_checks_its_context(self):
        future = self.executor.submit("pytest.spin")
        eventually(future.running, "the function started")
        self.assertTrue(future.cancel(interrupt=True))
        with self.assertRaises(CancelledError):
            future.result(LONG)

    def test_stop_drains_running_tasks_and_leaves_the_rest_queued(self):
        gate = threading.Event()

        def slow(x):
            gate.wait(LONG)
            return x

        worker, thread = self.start_worker({"pytest.drain": slow}, threads=1, drain_grace=LONG)
        first = self.executor.submit("pytest.drain", 1)
        eventually(first.running, "the first task started")
        rest = [self.executor.submit("pytest.drain", i) for i in (2, 3)]
        worker.stop(wait=False)
        gate.set()
        self.assertEqual(1, first.result(LONG))
        thread.join(LONG)
        self.assertFalse(thread.is_alive(), "the drained worker stopped")
        self.assertFalse(any(f.done() for f in rest))
        # Another worker takes what the drained one left.
        self.start_worker({"pytest.drain": slow}, threads=2)
        self.assertEqual([2, 3], [f.result(LONG) for f in rest])

    def test_a_worker_with_a_wrong_token_is_refused_with_a_clear_error(self):
        from cluster_futures import WorkerRefusedError
        import grpc
        if cluster_token() is None:
            if IN_CI:
                self.fail("CLUSTER_TOKEN is not set: dotnet test runs this suite on a cluster with tokens")
            self.skipTest("the cluster has no tokens (CLUSTER_TOKEN is not set)")
        worker = self.Worker(self.address, {"pytest.refused": square}, token="not-a-token-of-this-cluster")
        with self.assertRaises(WorkerRefusedError) as raised:
            worker.run()
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, raised.exception.code)
        self.assertIn("unknown token", raised.exception.details)

    def test_worker_reconnects_after_the_connection_breaks(self):
        relay = Relay(target(self.address))
        self.addCleanup(relay.close)
        worker, _ = self.start_worker({"pytest.relayed": attempt}, address=relay.address, threads=2)
        self.assertEqual(1, self.executor.submit("pytest.relayed").result(LONG))
        relay.cut()
        eventually(lambda: worker.connections >= 2 and worker.connected.is_set(), "the worker connected again")
        self.assertEqual(1, self.executor.submit("pytest.relayed").result(LONG))

    def test_a_run_cut_off_by_a_broken_connection_is_fenced_out_by_the_next_attempt(self):
        gate = threading.Event()
        started = []

        def blocked():
            from cluster_futures import current_task
            started.append(current_task().attempt)
            if current_task().attempt == 1:
                gate.wait(LONG)
            return current_task().attempt

        relay = Relay(target(self.address))
        self.addCleanup(relay.close)
        worker, _ = self.start_worker({"pytest.fenced": blocked}, address=relay.address, threads=2)
        future = self.executor.submit("pytest.fenced")
        eventually(future.running, "the first attempt started")
        relay.cut()
        # The stream broke: the lease went back, and the worker, connected again, runs attempt 2
        # while attempt 1 still blocks; attempt 1's late result belongs to a lease it lost.
        self.assertEqual(2, future.result(LONG))
        self.assertEqual([1, 2], started)
        gate.set()
        # The late result is not sent (it would end the stream): the same connection serves on.
        self.assertEqual(1, self.executor.submit("pytest.fenced").result(LONG))
        self.assertEqual([1, 2, 1], started)
        self.assertEqual(2, worker.connections)


if __name__ == "__main__":
    unittest.main()

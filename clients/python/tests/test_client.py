"""The Python client against a real cluster whose workers are the C# sample tasks
(add, echo, fail, spin, sleep, progress): CPython's own concurrent.futures functions on its futures."""

import concurrent.futures
import threading
import time
import unittest
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, CancelledError, as_completed, wait

from _support import IN_CI, Relay, cluster_address, cluster_token, metadata, require_modules, target, unique

LONG = 60  # seconds: a bound no passing run comes near


def eventually(condition, what, timeout=LONG):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)


class ClientTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_modules()
        cls.address = cluster_address()
        from cluster_futures import ClusterExecutor
        cls.Executor = ClusterExecutor
        cls.executor = ClusterExecutor(cls.address, token=cluster_token())

    @classmethod
    def tearDownClass(cls):
        cls.executor.shutdown(wait=True, cancel_futures=True)

    def test_as_completed_yields_every_future_of_the_cluster(self):
        futures = {self.executor.submit("add", i, i): i for i in range(200)}
        seen = {}
        for future in as_completed(futures, timeout=LONG):
            seen[futures[future]] = future.result()
        self.assertEqual({i: 2 * i for i in range(200)}, seen)

    def test_wait_first_completed_returns_the_quick_task_alone(self):
        slow = self.executor.submit("sleep", 30.0)
        quick = self.executor.submit("add", 1, 2)
        done, not_done = wait([slow, quick], timeout=LONG, return_when=FIRST_COMPLETED)
        self.assertEqual({quick}, done)
        self.assertEqual({slow}, not_done)
        self.assertEqual(3, quick.result())
        # The slow one is running on a C# worker's coroutine loop: an interrupt stops it.
        eventually(slow.running, "the slow task started")
        self.assertTrue(slow.cancel(interrupt=True))
        done, not_done = wait([slow], timeout=LONG, return_when=ALL_COMPLETED)
        self.assertEqual({slow}, done)
        self.assertTrue(slow.cancelled())

    def test_python_client_runs_tasks_on_csharp_workers(self):
        here = self.executor.submit("whoami_async").result(LONG)
        self.assertEqual("CoroutineLoop", here["executor"])
        self.assertEqual([1, "two", None, {"x": [3.5]}], self.executor.submit("echo", [1, "two", None, {"x": [3.5]}]).result(LONG))

    def test_map_returns_results_in_order(self):
        self.assertEqual([2 * i for i in range(100)], list(self.executor.map("add", range(100), range(100), timeout=LONG)))

    def test_map_in_chunks_returns_results_in_order(self):
        results = self.executor.map("add", range(100), range(100), timeout=LONG, chunksize=7)
        self.assertEqual([2 * i for i in range(100)], list(results))

    def test_map_raises_timeout_error_when_a_result_is_late(self):
        results = self.executor.map("sleep", [2.0], timeout=0.2)
        with self.assertRaises(concurrent.futures.TimeoutError):
            next(results)

    def test_result_with_timeout_raises_then_returns(self):
        future = self.executor.submit("sleep", 0.5)
        with self.assertRaises(concurrent.futures.TimeoutError):
            future.result(timeout=0.01)
        self.assertEqual(0.5, future.result(timeout=LONG))

    def test_done_callback_runs_once_with_its_future(self):
        calls = []
        called = threading.Event()
        future = self.executor.submit("add", 20, 22)
        future.add_done_callback(lambda f: (calls.append(f.result()), called.set()))
        self.assertTrue(called.wait(LONG))
        self.assertEqual([42], calls)

    def test_cancel_withdraws_a_task_no_worker_takes(self):
        queued = self.executor.submit(unique("nobody.home"), 1)
        # Submits travel in order: once a later task is done, the first one is stored and queued.
        self.assertEqual(2, self.executor.submit("add", 1, 1).result(LONG))
        self.assertTrue(queued.cancel())
        self.assertTrue(queued.cancelled())
        done, _ = wait([queued], timeout=LONG)
        self.assertEqual({queued}, done)
        with self.assertRaises(CancelledError):
            queued.result(LONG)
        self.assertTrue(queued.cancel())  # cancelled stays cancelled

    def test_cancel_returns_false_for_a_running_task_and_interrupt_stops_it(self):
        running = self.executor.submit("spin", 30_000)
        eventually(running.running, "the spin task started")
        self.assertFalse(running.cancel())
        self.assertTrue(running.cancel(interrupt=True))
        with self.assertRaises(CancelledError):
            running.result(LONG)

    def test_cancel_returns_false_for_a_finished_task(self):
        future = self.executor.submit("add", 2, 2)
        self.assertEqual(4, future.result(LONG))
        self.assertFalse(future.cancel())

    def test_remote_error_carries_type_message_and_stack(self):
        from cluster_futures import RemoteTaskError
        future = self.executor.submit("fail", "boom from python")
        with self.assertRaises(RemoteTaskError) as raised:
            future.result(LONG)
        error = raised.exception
        self.assertEqual("System.InvalidOperationException", error.remote_type)
        self.assertEqual("boom from python", error.remote_message)
        self.assertIn("Fail", error.remote_stack_trace)
        self.assertEqual(1, error.attempt)
        self.assertEqual(future.task_id, error.task_id)
        self.assertIs(type(future.exception(LONG)), RemoteTaskError)

    def test_bad_names_and_arguments_are_refused_at_submit(self):
        with self.assertRaisesRegex(ValueError, "task name 'no spaces!' may hold only"):
            self.executor.submit("no spaces!", 1)
        with self.assertRaisesRegex(TypeError, "arguments of task 'echo' cannot be written as JSON"):
            self.executor.submit("echo", object())
        with self.assertRaisesRegex(TypeError, "arguments of task 'echo' cannot be written as JSON"):
            self.executor.submit("echo", float("nan"))
        with self.assertRaisesRegex(TypeError, "task 'echo' takes positional arguments only"):
            self.executor.submit("echo", x=1)

    def test_shutdown_with_cancel_futures_cancels_queued_tasks(self):
        executor = self.Executor(self.address, token=cluster_token())
        name = unique("nobody.home")
        futures = [executor.submit(name, i) for i in range(5)]
        executor.shutdown(wait=True, cancel_futures=True)
        self.assertTrue(all(f.cancelled() for f in futures))
        with self.assertRaisesRegex(RuntimeError, "after shutdown"):
            executor.submit("add", 1, 1)

    def test_shutdown_waits_for_running_tasks(self):
        with self.Executor(self.address, token=cluster_token()) as executor:
            futures = [executor.submit("sleep", 0.3) for _ in range(3)]
        self.assertTrue(all(f.done() for f in futures))
        self.assertEqual([0.3] * 3, [f.result() for f in futures])

    def test_shutdown_without_wait_returns_and_futures_still_resolve(self):
        executor = self.Executor(self.address, token=cluster_token())
        future = executor.submit("sleep", 0.3)
        executor.shutdown(wait=False)
        self.assertEqual(0.3, future.result(LONG))

    def test_results_of_megabytes_arrive_within_the_default_message_limit(self):
        # grpcio refuses messages over 4 MiB by default, and this client keeps that default: the
        # coordinator splits completions so that no message is larger.
        text = "x" * 1_500_000
        futures = [self.executor.submit("echo", text) for _ in range(6)]
        self.assertEqual([len(text)] * 6, [len(f.result(LONG)) for f in futures])

    def test_a_retry_policy_runs_a_failing_task_again(self):
        # flaky fails with an IOException on its first 2 attempts, then returns the attempt number.
        future = self.executor.submit_with("flaky", 2, max_attempts=3, retry_on=["System.IO.IOException"], backoff=0.01)
        self.assertEqual(3, future.result(LONG))

    def test_an_idempotency_key_creates_one_task(self):
        from cluster_futures import TaskRejectedError
        key = unique("order")
        first = self.executor.submit_with("add", 1, 1, idempotency_key=key)
        self.assertEqual(2, first.result(LONG))
        with self.assertRaises(TaskRejectedError) as raised:
            self.executor.submit_with("add", 1, 1, idempotency_key=key).result(LONG)
        self.assertEqual("AlreadyExists", raised.exception.code)
        self.assertEqual(first.task_id, raised.exception.existing_task_id)

    def test_a_delay_a_priority_and_a_queue_travel_with_the_task(self):
        # clock returns when it started on its worker (Unix ms); the store's clock runs the delay.
        submitted = time.time() * 1000
        started = self.executor.submit_with("clock", delay=1.0, priority=9).result(LONG)["startedUnixMs"]
        self.assertGreaterEqual(started - submitted, 1000)
        self.assertEqual(3, self.executor.submit_with("add", 1, 2, queue="default", priority=0).result(LONG))
        for bad in ({"priority": 10}, {"priority": "9"}, {"queue": "no spaces"}, {"delay": -1}):
            with self.assertRaises(ValueError, msg=str(bad)):
                self.executor.submit_with("add", 1, 2, **bad)

    def test_futures_among_the_arguments_pass_their_results_on_in_the_store(self):
        from cluster_futures import ClusterFuture
        executor = self.Executor(self.address, token=cluster_token())
        try:
            parts = [executor.submit("add", i, 1) for i in range(50)]
            total = executor.submit("sum", parts)  # fan-in: a list of futures
            chained = executor.submit("add", executor.submit("add", 1, 2), 10)
            nested = executor.submit("echo", {"pair": (parts[0], parts[1]), "same": [parts[0]]})
            self.assertIsInstance(total, ClusterFuture)
            # No result was read before these: the store ran each task once its inputs finished.
            self.assertEqual(sum(i + 1 for i in range(50)), total.result(LONG))
            self.assertEqual(13, chained.result(LONG))
            self.assertEqual({"pair": [1, 2], "same": [1]}, nested.result(LONG))
        finally:
            executor.shutdown()

    def test_a_failed_input_fails_its_dependents_with_dependency_failed(self):
        from cluster_futures import RemoteTaskError
        failing = self.executor.submit("fail", "boom as an input")
        dependent = self.executor.submit("add", failing, 1)
        next_one = self.executor.submit("add", dependent, 1)
        for future in (dependent, next_one):
            with self.assertRaises(RemoteTaskError) as caught:
                future.result(LONG)
            self.assertEqual("Cluster.DependencyFailed", caught.exception.remote_type)
        self.assertIn(failing.task_id, dependent.exception().remote_message)
        with self.assertRaises(ValueError):
            self.executor.submit_with("add", failing, 1, delay=1.0)

    def test_submits_made_together_travel_in_few_calls(self):
        executor = self.Executor(self.address, token=cluster_token())
        try:
            futures = [executor.submit("add", i, 1) for i in range(2000)]
            self.assertEqual([i + 1 for i in range(2000)], [f.result(LONG) for f in futures])
            self.assertLess(executor.submit_calls, 200, "submits made together share calls")
        finally:
            executor.shutdown()

    def test_received_completions_are_acknowledged(self):
        from cluster_futures._proto import cluster_pb2 as pb
        from cluster_futures._proto import cluster_pb2_grpc as rpc
        import grpc
        executor = self.Executor(self.address, token=cluster_token())
        try:
            self.assertEqual([1, 2, 3], [f.result(LONG) for f in [executor.submit("add", i, 1) for i in range(3)]])
            eventually(lambda: executor._acked_seq >= executor._last_seq > 0, "the client acknowledged its completions")
            # The session's log is empty: a fresh stream from the start finds nothing in a second.
            with grpc.insecure_channel(target(self.address)) as channel:
                stream = rpc.TasksStub(channel).Completions(pb.CompletionsRequest(session=executor.session), metadata=metadata(), timeout=1)
                with self.assertRaises(grpc.RpcError) as ended:
                    for batch in stream:
                        self.assertEqual([], list(batch.completions))
                self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED, ended.exception.code())
        finally:
            executor.shutdown()

    def test_a_submit_without_the_token_is_refused_as_unauthenticated(self):
        from cluster_futures import TaskRejectedError
        if cluster_token() is None:
            if IN_CI:
                self.fail("CLUSTER_TOKEN is not set: dotnet test runs this suite on a cluster with tokens")
            self.skipTest("the cluster has no tokens (CLUSTER_TOKEN is not set)")
        executor = self.Executor(self.address)
        try:
            with self.assertRaises(TaskRejectedError) as raised:
                executor.submit("add", 1, 1).result(LONG)
            self.assertEqual("Unauthenticated", raised.exception.code)
            self.assertIn("authorization: Bearer TOKEN", raised.exception.rejection_message)
        finally:
            executor.shutdown(wait=False)

    def test_futures_resolve_after_the_connection_breaks(self):
        from cluster_futures._proto import cluster_pb2 as pb
        from cluster_futures._proto import cluster_pb2_grpc as rpc
        import grpc
        relay = Relay(target(self.address))
        executor = self.Executor(relay.address, token=cluster_token())
        try:
            self.assertEqual(2, executor.submit("add", 1, 1).result(LONG))  # the stream is open
            futures = [executor.submit("sleep", 0.2) for _ in range(10)] + [executor.submit("add", i, 1) for i in range(10)]
            # Everything is stored once a later submit is done; then the network breaks, and stays down.
            marker = executor.submit("add", 5, 5)
            self.assertEqual(10, marker.result(LONG))
            relay.hold = True
            relay.cut()
            # Meanwhile the tasks finish: their completions wait in the session's log (read here
            # without acknowledging them), written while the client could not hear them.
            ids = {f.task_id for f in futures}
            with grpc.insecure_channel(target(self.address)) as channel:
                stream = rpc.TasksStub(channel).Completions(pb.CompletionsRequest(session=executor.session), metadata=metadata())
                written = set()
                try:
                    for batch in stream:
                        written |= {c.task_id for c in batch.completions} & ids
                        if written == ids:
                            break
                finally:
                    stream.cancel()
            relay.hold = False
            results = [f.result(LONG) for f in futures]
            self.assertEqual([0.2] * 10 + [i + 1 for i in range(10)], results)
            self.assertGreaterEqual(executor.stream_breaks, 1)
            self.assertEqual(42, executor.submit("add", 40, 2).result(LONG))
        finally:
            executor.shutdown(wait=True)
            relay.close()


if __name__ == "__main__":
    unittest.main()

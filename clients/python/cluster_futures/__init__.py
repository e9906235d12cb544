"""concurrent.futures scaled out to the cluster.

    from concurrent.futures import as_completed
    from cluster_futures import ClusterExecutor

    with ClusterExecutor("127.0.0.1:5050") as executor:
        futures = [executor.submit("add", i, i) for i in range(10)]
        for future in as_completed(futures):
            print(future.result())

`serve(address, handlers)` runs a worker: plain functions on a thread pool, `async def` ones on an
asyncio loop. See docs/protocol.md for the wire contract both follow.
"""

from .errors import ClusterUnavailableError, RemoteTaskError, TaskLostError, TaskRejectedError
from .executor import ClusterExecutor, ClusterFuture
from .worker import Handler, TaskCancelled, TaskContext, Worker, WorkerRefusedError, current_task, handler, serve

__all__ = [
    "ClusterExecutor",
    "ClusterFuture",
    "ClusterUnavailableError",
    "Handler",
    "RemoteTaskError",
    "TaskCancelled",
    "TaskContext",
    "TaskLostError",
    "TaskRejectedError",
    "Worker",
    "WorkerRefusedError",
    "current_task",
    "handler",
    "serve",
]

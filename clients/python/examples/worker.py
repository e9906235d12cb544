"""A Python worker for the cluster: serves three tasks until SIGTERM or Ctrl-C, then drains.

    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/worker.py 127.0.0.1:5050

Any client submits to it by name, e.g. from C#: `executor.Submit<long>("py.square", 7)`.
"""

import asyncio
import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cluster_futures import current_task, serve  # noqa: E402


def square(x):
    """A plain function: runs on the worker's thread pool."""
    return x * x


def word_count(text):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


async def greet(name, delay=0.01):
    """An async function: runs on the worker's asyncio loop, many at once."""
    await asyncio.sleep(delay)
    task = current_task()
    return f"hello {name} from attempt {task.attempt} of {task.task_id}"


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    address = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLUSTER_ADDRESS", "127.0.0.1:5050")
    serve(address, {"py.square": square, "py.word_count": word_count, "py.greet": greet},
          threads=4, coroutines=100, token=os.environ.get("CLUSTER_TOKEN"))
    print("worker stopped", flush=True)

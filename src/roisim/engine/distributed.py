"""Dask: spread blocks of runs over workers, each returning one mergeable ``Partial``.

``dask_executor("local:2")`` starts a ``LocalCluster`` of 2 single-threaded worker processes;
``dask_executor("tcp://host:8786")`` connects to a running scheduler.  Tasks run serial
``nogil`` kernels (one thread each), so numba threads and Dask threads never oversubscribe the
cores.  Draws depend only on (seed, input, run, year) and partials merge in block order, so the
summary is identical to a local run with the same seed and runs, whatever the number of
workers or blocks per task.
"""

from __future__ import annotations

import os

from roisim.engine.blocks import Partial, PassSpec, block_range, n_blocks
from roisim.engine.run import KernelSource, check_problems
from roisim.errors import ScenarioError

BLOCKS_PER_TASK = 16


def _require_dask():
    try:
        import dask  # noqa: F401
        from dask import distributed
    except ImportError:
        raise ScenarioError(
            "--dask needs the optional Dask dependency: pip install 'roisim[dask]'", "--dask"
        ) from None
    return distributed


def _warm(plan) -> str:
    """Compile (or load from numba's cache) the plan's kernel on a worker."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    KernelSource(plan, 1, threads=1).pilot()
    return "ok"


def _remote_pass(plan, runs: int, blocks: list[int], spec: PassSpec) -> Partial:
    return KernelSource(plan, runs, threads=1, blocks=blocks).execute(spec)


class DaskSource:
    """A summary source whose passes run on a Dask cluster."""

    def __init__(self, client, plan, runs: int, blocks_per_task: int = BLOCKS_PER_TASK):
        self.client = client
        self.plan = plan
        self.runs = runs
        self.blocks_per_task = max(1, int(blocks_per_task))
        self.client.run(_warm, plan)
        # scattered once, without content hashing: re-scattering the same key on every pass lets
        # the scheduler drop it while the next pass's tasks still need it
        self.plan_future = self.client.scatter(plan, broadcast=True, hash=False)

    def pilot(self):
        return KernelSource(self.plan, self.runs, threads=1).pilot()

    def execute(self, spec: PassSpec, progress=None) -> Partial:
        from dask.distributed import as_completed

        nb = n_blocks(self.runs)
        groups = [
            list(range(a, min(nb, a + self.blocks_per_task)))
            for a in range(0, nb, self.blocks_per_task)
        ]
        futures = [
            self.client.submit(_remote_pass, self.plan_future, self.runs, g, spec, pure=False)
            for g in groups
        ]
        sizes = {
            f.key: sum(block_range(b, self.runs)[1] for b in g) for f, g in zip(futures, groups)
        }
        out = None
        done = 0
        try:
            for fut in as_completed(futures):
                part = fut.result()  # re-raises a task's error, including cancellation
                if not isinstance(part, Partial):
                    raise RuntimeError(
                        f"a Dask task returned {type(part).__name__}, not a partial summary"
                    )
                out = part if out is None else out.merge(part)
                done += sizes[fut.key]
                if progress is not None:
                    progress(done)
        except KeyboardInterrupt:
            self.client.cancel(futures)
            raise
        if out.flags is not None:
            check_problems(self.plan, out.flags, self.runs)
        return out


class dask_executor:
    """Callable ``executor(plan, runs) -> DaskSource`` for ``roisim.simulate(executor=...)``.

    ``address``: "local" (a LocalCluster with one worker per CPU), "local:N" (N workers), or a
    scheduler address such as "tcp://scheduler:8786".  Use as a context manager, or call
    ``close()``, to shut a local cluster down.
    """

    def __init__(self, address: str, blocks_per_task: int = BLOCKS_PER_TASK):
        distributed = _require_dask()
        self.blocks_per_task = blocks_per_task
        self.cluster = None
        if address == "local" or address.startswith("local:"):
            n = os.cpu_count() or 1
            if address.startswith("local:"):
                try:
                    n = int(address.split(":", 1)[1])
                    if n < 1:
                        raise ValueError
                except ValueError:
                    raise ScenarioError(
                        f"expected local or local:N with N >= 1, got {address!r}", "--dask"
                    ) from None
            self.cluster = distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
                env={"NUMBA_NUM_THREADS": "1"},
            )
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    f"cannot reach the Dask scheduler at {address}: {exc}", "--dask"
                ) from None

    def __call__(self, plan, runs: int) -> DaskSource:
        return DaskSource(self.client, plan, runs, self.blocks_per_task)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

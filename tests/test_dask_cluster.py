"""Scale-out, proved: the demo bundle run on a Dask ``LocalCluster`` (separate worker processes
reached over the distributed scheduler) gives the same results, bit for bit, as the run on one
thread. Skipped when the optional ``dask`` extra (dask + distributed) is not installed."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from battkomp.engine import run_model  # noqa: E402
from battkomp.engine.montecarlo import BLOCK_SIZE  # noqa: E402
from bundlekit import assert_results_identical  # noqa: E402

DRAWS = 3 * BLOCK_SIZE + 40


@pytest.mark.slow
def test_the_demo_on_a_local_dask_cluster_is_bit_identical() -> None:
    expected = run_model(None, weighted=True, draws=DRAWS, seed=11, threads=1)
    with warnings.catch_warnings():
        # distributed's own start-up (ports, tornado) may warn; the result is what is tested
        warnings.simplefilter("ignore")
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                silence_logs=40,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            with distributed.get_task_stream(client) as stream:
                result = run_model(
                    None,
                    weighted=True,
                    draws=DRAWS,
                    seed=11,
                    executor=client.get_executor(),
                    blocks_per_task=1,
                )
            ran_on = {task["worker"] for task in stream.data}
    assert len(stream.data) >= 4  # the blocks went through the scheduler
    assert len(ran_on) >= 1
    assert_results_identical(result, expected)

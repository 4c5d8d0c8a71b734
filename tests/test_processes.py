"""Who a process is under torchrun, and how a batch is shared between processes and micro-batches."""

import pytest

from edgelmk.errors import TrainingError
from edgelmk.processes import SINGLE_PROCESS, Launch, batch_plan, is_main_process, launch_of


def test_launch_of_reads_what_torchrun_sets():
    assert launch_of({}) == Launch(0, 0, 1) and not launch_of({}).distributed
    launch = launch_of({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4"})
    assert launch == Launch(3, 1, 4) and launch.distributed
    assert is_main_process({"RANK": "0", "WORLD_SIZE": "2"}) and not is_main_process({"RANK": "1", "WORLD_SIZE": "2"})


@pytest.mark.parametrize("environment, message", [
    ({"RANK": "x", "WORLD_SIZE": "2"}, "must be integers"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "outside 0..WORLD_SIZE-1"),
])
def test_launch_of_refuses_contradictions(environment, message):
    with pytest.raises(TrainingError, match=message):
        launch_of(environment)


def test_batch_plan_splits_over_processes_then_micro_batches():
    plan = batch_plan(32, 0, 4)
    assert (plan.micro_batch_size, plan.accumulate, plan.share) == (8, 1, 8)
    plan = batch_plan(32, 4, 2)
    assert (plan.micro_batch_size, plan.accumulate, plan.share) == (4, 4, 16)
    with pytest.raises(TrainingError, match="multiple of 3"):
        batch_plan(32, 0, 3)
    with pytest.raises(TrainingError, match="does not divide"):
        batch_plan(32, 3, 2)


@pytest.mark.parametrize("world_size", [2, 4])
def test_processes_together_take_what_one_process_takes(world_size):
    """Every step, the processes' shares in rank order are one process's batch: same samples, same micro-batches."""
    order = list(range(100))[::-1]
    single, shared = batch_plan(16, 2, 1), batch_plan(16, 2, world_size)
    for step in range(100 // 16):
        together = [index for rank in range(world_size) for index in shared.indices(order, step, rank)]
        assert together == list(single.indices(order, step, 0))
        assert len(together) == 16 and single.accumulate == world_size * shared.accumulate


def test_one_process_gathers_itself():
    assert SINGLE_PROCESS.gather({"a": 1}) == [{"a": 1}]
    assert SINGLE_PROCESS.stop_reason(RuntimeError("gloo: connection reset")) is None

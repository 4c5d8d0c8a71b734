"""Training in two processes (torchrun, gloo on CPU) does what one process does with the same batch:

the same weights (the processes' micro-batches are one process's, and DDP's average of two
gradients is the accumulated sum of two halves), across resumes either way: a one-process run
stopped mid-epoch finishes in two processes, files and log lines written once by rank 0; a
two-process run whose process is killed stops with a message, keeps its last checkpoint and
finishes in one process.

Tolerance: 1e-6 on every weight (float sums in another order could differ in the last bits; with
one thread per process, as torchrun sets, they come out bitwise equal here).
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.helpers import quiet, tiny, optional_import

torch = optional_import("torch")

from edgelmk import checkpoint, engine, recipe  # noqa: E402

pytestmark = pytest.mark.slow

TOLERANCE = 1e-6
CHANGES = {"model.precision": "fp32", "data.micro_batch_size": 4, "data.train.num_samples": 96, "optim.epochs": 5}


def trained_weights(path) -> dict[str, np.ndarray]:
    """The learnt weights of a checkpoint (batch-norm running statistics are rank 0's under DDP: left out)."""
    return {name: value.numpy() for name, value in checkpoint.load(path)["model"].items()
            if "running_" not in name and "num_batches" not in name}


def assert_same_weights(path, reference) -> None:
    weights, expected = trained_weights(path), trained_weights(reference)
    assert weights.keys() == expected.keys()
    worst = max(float(np.abs(weights[name] - expected[name]).max()) for name in weights)
    assert worst <= TOLERANCE, worst


def one_thread_fit(trainer):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return trainer.fit()
    finally:
        torch.set_num_threads(threads)


def one_thread_trainer(config, out_dir, resume=False, on_step=None):
    """A trainer in one process with one thread (what torchrun gives each process): float sums comparable bit for bit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return engine.Trainer(config, out_dir, resume=resume, device="cpu", log=quiet, on_step=on_step)
    finally:
        torch.set_num_threads(threads)


INTERRUPTED_AT = 14  # step 2 of epoch 2 (12 steps an epoch)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The recipe file, the checkpoint of its one-process run (micro-batches of 4 accumulated in pairs), and a
    copy of that run's folder after Ctrl-C in the middle of epoch 2."""
    folder = tmp_path_factory.mktemp("distributed")
    config = tiny(**CHANGES)
    recipe.dump(config, folder / "recipe.yaml")

    def interrupt(step):
        if step == INTERRUPTED_AT:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        one_thread_fit(one_thread_trainer(config, folder / "one", on_step=interrupt))
    shutil.copytree(folder / "one", folder / "interrupted")
    one_thread_fit(one_thread_trainer(config, folder / "one", resume=True))
    return folder / "recipe.yaml", folder / "one" / "last.pt", folder / "interrupted"


def edgelmk_command(*arguments) -> list[str]:
    return [sys.executable, "-m", *arguments]


def test_a_one_process_run_resumed_mid_epoch_in_two_ends_with_its_weights(reference, tmp_path):
    recipe_file, one_process, interrupted = reference
    shutil.copytree(interrupted, tmp_path / "run")
    result = subprocess.run(edgelmk_command("edgelmk", "train", str(recipe_file), "--out", str(tmp_path / "run"),
                                            "--device", "cpu", "--devices", "2", "--resume"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 processes (gloo)" in result.stdout and "batch 8 = 2 x 1 micro-batches of 4" in result.stdout
    assert "resumed from" in result.stdout and "epoch 2, batch 2 of 12" in result.stdout
    for once in ("data: 96 training", "resumed from", "checkpoints:"):  # rank 0 alone prints
        assert result.stdout.count(once) == 1, once
    assert_same_weights(tmp_path / "run" / "last.pt", one_process)
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + CHANGES["optim.epochs"]


def worker_processes(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (torchrun's workers), from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.append(int(entry))
    return children


def test_a_killed_process_stops_the_run_which_resumes_in_one_process(reference, tmp_path):
    recipe_file, one_process, _ = reference
    out_dir = tmp_path / "two"
    run = subprocess.Popen(edgelmk_command("torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
                                           "edgelmk", "train", str(recipe_file), "--out", str(out_dir),
                                           "--device", "cpu"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.time()
    while not (out_dir / "last.pt").exists() and run.poll() is None and time.time() - started < 300:
        time.sleep(0.05)
    workers = worker_processes(run.pid)
    assert len(workers) == 2, workers
    os.kill(workers[-1], signal.SIGKILL)
    output, _ = run.communicate(timeout=300)

    assert run.returncode != 0, output
    assert "stopped at epoch" in output and "is kept; continue with --resume" in output, output
    saved = checkpoint.load(out_dir / "last.pt")
    assert 1 <= saved["epoch"] < CHANGES["optim.epochs"]

    config = recipe.resolve(recipe.load_yaml(recipe_file))
    one_thread_fit(one_thread_trainer(config, out_dir, resume=True))
    assert checkpoint.load(out_dir / "last.pt")["epoch"] == CHANGES["optim.epochs"]
    assert_same_weights(out_dir / "last.pt", one_process)

"""edgelmk.data.dataset.CachedDataset: samples loaded once, by one process or several."""

import numpy as np
import pytest

from edgelmk import engine
from edgelmk.data import DATASETS
from edgelmk.data.dataset import CachedDataset
from edgelmk.errors import DatasetError
from edgelmk.processes import Launch


class BrokenAtThree:
    """Four samples; the fourth's file is bad."""

    skeleton = None

    def __len__(self):
        return 4

    def __getitem__(self, index):
        if index == 3:
            raise DatasetError("sample 3: bad.png cannot be read")
        return {"index": index}


def test_several_processes_cache_the_same_samples_in_order():
    faces = DATASETS.build({"name": "synthetic_faces", "num_samples": 10, "image_hw": [48, 48], "seed": 4,
                            "version": 4})
    counted = []
    alone, shared = CachedDataset(faces), CachedDataset(faces, counted.append, processes=2)
    assert len(shared) == 10 and counted == [1] * 10 and shared.skeleton == faces.skeleton
    for one, other in zip(alone.samples, shared.samples):
        assert one.keys() == other.keys()
        for key in one:
            np.testing.assert_array_equal(one[key], other[key])


def test_an_error_while_caching_in_a_pool_is_the_datasets_own():
    with pytest.raises(DatasetError, match="sample 3: bad.png"):
        CachedDataset(BrokenAtThree(), processes=2)


def test_cache_processes_use_every_cpu_in_a_one_process_torch_run_only(monkeypatch):
    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert engine.cache_processes({"model": {"backend": "torch"}}) == 3
    assert engine.cache_processes({"model": {"backend": "larq"}}) == 1
    monkeypatch.setattr(engine, "launch_of", lambda: Launch(rank=0, local_rank=0, world_size=2))
    assert engine.cache_processes({"model": {"backend": "torch"}}) == 1

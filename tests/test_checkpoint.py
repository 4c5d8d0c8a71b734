import pytest
import torch

from edgelmk import checkpoint
from edgelmk.checkpoint import CheckpointError


def test_round_trip_with_weights_only(tmp_path):
    content = {"model": {"w": torch.arange(3.0)}, "epoch": 2, "recipe": {"optim": {"lr": 0.1}}, "history": [{"a": 1.0}]}
    path = checkpoint.save_atomic(content, tmp_path / "last.pt")
    loaded = checkpoint.load(path)
    assert loaded["epoch"] == 2 and loaded["recipe"] == {"optim": {"lr": 0.1}}
    torch.testing.assert_close(loaded["model"]["w"], torch.arange(3.0))


def test_a_crash_while_writing_keeps_the_previous_file(tmp_path, monkeypatch):
    path = checkpoint.save_atomic({"epoch": 1}, tmp_path / "last.pt")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save_atomic({"epoch": 2}, path)
    assert checkpoint.load(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary file left behind


def test_truncated_corrupt_foreign_and_missing_files(tmp_path):
    path = checkpoint.save_atomic({"epoch": 1, "model": {"w": torch.zeros(1000)}}, tmp_path / "a.pt")
    data = path.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.pt is not a readable checkpoint"):
        checkpoint.load(tmp_path / "truncated.pt")
    (tmp_path / "noise.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="noise.pt is not a readable checkpoint"):
        checkpoint.load(tmp_path / "noise.pt")
    torch.save({"state": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not an edgelmk checkpoint"):
        checkpoint.load(tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not found"):
        checkpoint.load(tmp_path / "missing.pt")


def test_pickled_code_is_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("executed",))

    torch.save({"format": checkpoint.FORMAT, "x": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        checkpoint.load(tmp_path / "evil.pt")

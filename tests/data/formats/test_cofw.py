import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError
from edgelmk.data.formats.common import load_image


def cofw_arrays(face_fixture):
    """Images, phis (N x 87, 1-based, occlusion flags) and boxes from the COFW fixture (v=1 means occluded)."""
    faces = face_fixture("cofw")
    images = [load_image(path) for path, *_ in faces]
    phis = np.stack([np.concatenate([k[:, 0] + 1, k[:, 1] + 1, (flags == 1).astype(float)])
                     for _, k, flags, _ in faces])
    boxes = np.array([[x + 1, y + 1, w, h] for *_, (x, y, w, h) in faces], dtype=np.float64)
    return faces, images, phis, boxes


def write_v5(path, images, phis, boxes):
    from scipy.io import savemat

    cells = np.empty((len(images), 1), dtype=object)
    for i, image in enumerate(images):
        cells[i, 0] = image
    savemat(path, {"IsT": cells, "phisT": phis, "bboxesT": boxes})


def write_v73(path, images, phis, boxes):
    """The HDF5 layout MATLAB writes: matrices transposed, the image cell array as object references."""
    import h5py

    with h5py.File(path, "w", userblock_size=512) as handle:
        refs = handle.create_group("#refs#")
        references = np.empty((1, len(images)), dtype=h5py.ref_dtype)
        for i, image in enumerate(images):
            references[0, i] = refs.create_dataset(f"image{i}", data=image.transpose(2, 1, 0)).ref
        handle.create_dataset("IsT", data=references)
        handle.create_dataset("phisT", data=phis.T)
        handle.create_dataset("bboxesT", data=boxes.T)
    with open(path, "r+b") as raw:  # MATLAB's text header in the user block
        raw.write(b"MATLAB 7.3 MAT-file".ljust(116, b" "))


@pytest.mark.parametrize("writer, file_name", [(write_v5, "COFW_test.mat"), (write_v73, "COFW_test_color.mat")])
def test_reads_both_matlab_versions_exactly(tmp_path, face_fixture, writer, file_name):
    faces, images, phis, boxes = cofw_arrays(face_fixture)
    writer(tmp_path / file_name, images, phis, boxes)
    dataset = DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "test"})
    assert len(dataset) == 2
    for sample, (_, keypoints, flags, (x, y, w, h)), image in zip(dataset, faces, images):
        np.testing.assert_allclose(sample["keypoints"], keypoints, atol=1e-4)
        np.testing.assert_array_equal(sample["visible"], 1)
        np.testing.assert_array_equal(sample["occluded"], flags == 1)
        np.testing.assert_allclose(sample["bbox"], [x, y, x + w, y + h], atol=1e-4)
        np.testing.assert_array_equal(sample["image"], image)


def test_colour_file_is_preferred_and_missing_files_are_named(tmp_path, face_fixture):
    _, images, phis, boxes = cofw_arrays(face_fixture)
    write_v5(tmp_path / "COFW_test.mat", images[:1], phis[:1], boxes[:1])
    write_v73(tmp_path / "COFW_test_color.mat", images, phis, boxes)
    assert len(DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "test"})) == 2
    with pytest.raises(DatasetError, match="expected COFW_train_color.mat or COFW_train.mat"):
        DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "train"})


def test_wrong_shapes_and_keys(tmp_path, face_fixture):
    from scipy.io import savemat

    _, images, phis, boxes = cofw_arrays(face_fixture)
    write_v5(tmp_path / "COFW_test.mat", images, phis[:, :58], boxes)
    with pytest.raises(DatasetError, match=r"expected phisT N x 87"):
        DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "test"})
    savemat(tmp_path / "COFW_test.mat", {"phisT": phis})
    with pytest.raises(DatasetError, match="missing IsT, bboxesT"):
        DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "test"})
    (tmp_path / "COFW_test.mat").write_bytes(b"not matlab at all" * 10)
    with pytest.raises(DatasetError, match="not a readable MATLAB file"):
        DATASETS.build({"name": "cofw", "root": str(tmp_path), "split": "test"})

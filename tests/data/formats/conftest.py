"""Helpers that turn the real COCO-style fixtures into the datasets' native formats."""

import json

import numpy as np
import pytest


@pytest.fixture
def face_fixture(fixtures_dir):
    """Load one of mmpose's COCO-style face fixtures: [(image path, keypoints (K, 2), flags (K,), bbox xywh)]."""

    def load(name):
        folder = fixtures_dir / "mmpose" / name
        content = json.loads((folder / f"test_{name}.json").read_text())
        images = {image["id"]: image for image in content["images"]}
        faces = []
        for annotation in content["annotations"]:
            values = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(-1, 3)
            faces.append((folder / images[annotation["image_id"]]["file_name"], values[:, :2], values[:, 2],
                          annotation["bbox"]))
        return faces

    return load

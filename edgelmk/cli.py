"""The ``edgelmk`` command line.

Each subcommand is a click command registered on :data:`main`; later features plug in the
same way. Heavy stacks (torch, tensorflow) are imported inside the commands that need them,
so ``edgelmk --help`` stays fast and works with the runtime-only install.
"""

from __future__ import annotations

import click

from edgelmk import __version__


def _registries() -> dict:
    """Kind name -> registry listed by ``edgelmk ls``."""
    from edgelmk.codecs import CODECS
    from edgelmk.data import DATASETS

    return {"codecs": CODECS, "datasets": DATASETS}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edgelmk")
def main() -> None:
    """edgelmk: landmark localization (faces, human pose) from training to edge devices.

    Low-resolution heatmap networks (binarized hourglasses, int8, float) with sub-pixel
    heatmap codecs, exported to ONNX / TFLite / Larq Compute Engine and run by a
    torch-free runtime on ARM CPUs.
    """


@main.command("ls")
@click.argument("kind", type=click.Choice(sorted(_registries())))
def list_registered(kind: str) -> None:
    """List what is registered of KIND, with a one-line description each.

    Examples: edgelmk ls codecs; edgelmk ls datasets
    """
    summaries = _registries()[kind].summaries()
    width = max(len(name) for name in summaries)
    for name, summary in summaries.items():
        click.echo(f"{name:<{width}}  {summary}")


# --- edgelmk data ---------------------------------------------------------------------------


def _progress(total: int, description: str):
    """A tqdm progress bar on stderr (quiet when stderr is not a terminal, e.g. in CI logs)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="sample", leave=False, disable=None)


def _ticking(bar, count: int):
    """range(count), advancing a progress bar after each item."""
    for index in range(count):
        yield index
        bar.update(1)


def _dataset_from_options(name: str, root: str | None, ann: str | None, split: str | None, strict: bool):
    """Build a dataset from the CLI options, turning bad ones into click errors."""
    from edgelmk.data import DATASETS, DatasetError

    config = {"name": name}
    config.update({key: value for key, value in (("root", root), ("ann_file", ann), ("split", split))
                   if value is not None})
    if name.startswith("synthetic_"):
        config.pop("root", None)
    else:
        config["strict"] = strict
    try:
        return DATASETS.build(config)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAME") from None
    except (ValueError, TypeError) as error:  # DatasetError included
        kind = "dataset problem" if isinstance(error, DatasetError) else "bad option"
        raise click.ClickException(f"{kind}: {error}") from None


DATASET_OPTIONS = [
    click.argument("name"),
    click.option("--root", type=click.Path(file_okay=False), help="Dataset folder (images, or the release)."),
    click.option("--ann", type=click.Path(dir_okay=False), help="Annotation file (coco, coco_face, mpii)."),
    click.option("--split", help="Split of formats that have several (e.g. 300w: train/common/challenging/full)."),
]


def dataset_options(function):
    for option in reversed(DATASET_OPTIONS):
        function = option(function)
    return function


@main.group()
def data() -> None:
    """Inspect datasets and write synthetic data.

    NAME is a dataset from `edgelmk ls datasets`: folder formats take --root (300w, wflw,
    cofw, aflw), file formats take --ann and --root for the images (coco, coco_face, mpii).
    """


@data.command("check")
@dataset_options
def data_check(name: str, root: str | None, ann: str | None, split: str | None) -> None:
    """Load every sample of NAME and report counts, box sizes and every problem.

    Problems (unreadable annotation records, missing or unreadable images, wrong point
    counts, keypoints far outside the image) are listed with their file and record. Exit
    code 1 when there is any.

    Example: edgelmk data check 300w --root data/300W
    """
    from edgelmk.data.inspect import check_dataset

    dataset = _dataset_from_options(name, root, ann, split, strict=False)
    with _progress(len(dataset), f"checking {name}") as bar:
        stats, problems = check_dataset(dataset, progress=_ticking(bar, len(dataset)))
    click.echo(f"{name}: {stats['samples']} samples, {stats['keypoints']} keypoints each, "
               f"{stats['loaded']} loaded")
    for axis in ("box_width", "box_height"):
        if axis in stats:
            low, mean, high = stats[axis]
            click.echo(f"  {axis.replace('_', ' ')} (px): min {low:.1f}, mean {mean:.1f}, max {high:.1f}")
    if problems:
        click.echo(f"{len(problems)} problem(s):")
        for problem in problems:
            click.echo(f"  {problem}")
        raise SystemExit(1)
    click.echo("no problems found")


@data.command("show")
@dataset_options
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--n", "count", default=16, show_default=True, help="Number of samples in the grid.")
@click.option("--seed", default=0, show_default=True, help="Which samples are picked.")
def data_show(name: str, root: str | None, ann: str | None, split: str | None, out: str, count: int,
              seed: int) -> None:
    """Write a PNG grid of NAME's samples, cropped to their boxes, with keypoints drawn.

    Example: edgelmk data show synthetic_faces --out faces.png
    """
    from edgelmk.data.inspect import sample_grid
    from edgelmk.viz import write_png

    dataset = _dataset_from_options(name, root, ann, split, strict=True)
    path = write_png(out, sample_grid(dataset, count, seed=seed))
    click.echo(f"wrote {path} ({min(count, len(dataset))} samples)")


@data.command("synth")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--n", "count", default=1000, show_default=True, help="Number of faces.")
@click.option("--seed", default=0, show_default=True, help="Base seed (sample i uses (seed, i)).")
@click.option("--size", default=256, show_default=True, help="Image side in pixels.")
def data_synth(out: str, count: int, seed: int, size: int) -> None:
    """Write synthetic faces in 300W's native layout (PNG + 1-based .pts).

    The folder then loads with the 300w reader: edgelmk data check 300w --root OUT

    Example: edgelmk data synth --out data/synthetic --n 2000
    """
    from edgelmk.data.synthetic import SyntheticFaces, write_300w_layout

    if count < 1 or size < 16:
        raise click.BadParameter("--n must be >= 1 and --size >= 16")
    dataset = SyntheticFaces(num_samples=count, image_hw=(size, size), seed=seed)
    with _progress(count, "writing faces") as bar:
        folder = write_300w_layout(dataset, out, count, progress=bar.update)
    click.echo(f"wrote {count} faces to {folder}")


if __name__ == "__main__":
    main()

"""The ``edgelmk`` command line.

Each subcommand is a click command registered on :data:`main`; later features plug in the
same way. Heavy stacks (torch, tensorflow) are imported inside the commands that need them,
so ``edgelmk --help`` stays fast and works with the runtime-only install.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from edgelmk import __version__
from edgelmk.targets import TARGETS


@contextlib.contextmanager
def _reported(*extra: type[BaseException]):
    """Errors about the user's input become one-line messages with exit code 1, not tracebacks.

    Every :class:`edgelmk.errors.EdgelmkError` is a ValueError; ``extra`` adds more types (a
    missing optional dependency's ImportError). ``edgelmk --debug`` lets them through with
    their traceback.
    """
    try:
        yield
    except (ValueError, *extra) as error:
        context = click.get_current_context(silent=True)
        if context is not None and context.find_root().params.get("debug"):
            raise
        raise click.ClickException(str(error)) from None


def _registry(kind: str):
    """The registry listed by ``edgelmk ls KIND``, imported only when asked for (none needs torch)."""
    if kind == "codecs":
        from edgelmk.codecs import CODECS

        return CODECS
    if kind == "datasets":
        from edgelmk.data import DATASETS

        return DATASETS
    if kind == "losses":
        from edgelmk.losses import LOSSES

        return LOSSES
    if kind == "detectors":
        from edgelmk.runtime.detectors import DETECTORS

        return DETECTORS
    from edgelmk.architecture import ARCHITECTURES

    return ARCHITECTURES


LISTABLE = ("codecs", "datasets", "detectors", "losses", "models")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edgelmk")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error instead of its one-line message.")
def main(debug: bool) -> None:
    """edgelmk: landmark localization (faces, human pose) from training to edge devices.

    Low-resolution heatmap networks (binarized hourglasses, int8, float) with sub-pixel
    heatmap codecs, exported to ONNX / TFLite / Larq Compute Engine and run by a
    torch-free runtime on ARM CPUs.
    """


@main.command("ls")
@click.argument("kind", type=click.Choice(LISTABLE))
def list_registered(kind: str) -> None:
    """List what is registered of KIND, with a one-line description each.

    Examples: edgelmk ls codecs; edgelmk ls datasets
    """
    summaries = _registry(kind).summaries()
    width = max(len(name) for name in summaries)
    for name, summary in summaries.items():
        click.echo(f"{name:<{width}}  {summary}")


# --- edgelmk data ---------------------------------------------------------------------------


def _dataset_from_options(name: str, root: str | None, ann: str | None, split: str | None, skeleton: str | None,
                          strict: bool):
    """Build a dataset from the CLI options, turning bad ones into click errors."""
    import yaml

    from edgelmk.data import DATASETS, DatasetError

    config = {"name": name}
    config.update({key: value for key, value in (("root", root), ("ann_file", ann), ("split", split))
                   if value is not None})
    if skeleton is not None:
        try:
            config["skeleton"] = yaml.safe_load(skeleton)
        except yaml.YAMLError:
            raise click.BadParameter(f"{skeleton!r} is neither a scheme name nor a YAML mapping",
                                     param_hint="--skeleton") from None
    if name.startswith("synthetic_"):
        config.pop("root", None)
    else:
        config["strict"] = strict
    try:
        return DATASETS.build(config)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAME") from None
    except (ValueError, TypeError) as error:
        kind = "dataset problem" if isinstance(error, DatasetError) else "bad option"
        raise click.ClickException(f"{kind}: {error}") from None


DATASET_OPTIONS = [
    click.argument("name"),
    click.option("--root", type=click.Path(file_okay=False), help="Dataset folder (images, or the release)."),
    click.option("--ann", type=click.Path(dir_okay=False), help="Annotation file (coco, coco_face, mpii)."),
    click.option("--split", help="Split of formats that have several (e.g. 300w: train/common/challenging/full)."),
    click.option("--skeleton", help="Landmark scheme of formats that take one (coco_face, pts_folder, "
                                    "synthetic_faces): 300w, wflw, cofw, aflw, or your own as YAML, e.g. "
                                    "'{keypoints: 12, flip_pairs: [[0, 1]], normalizer: [0, 1]}'."),
]


def dataset_options(function):
    for option in reversed(DATASET_OPTIONS):
        function = option(function)
    return function


@main.group()
def data() -> None:
    """Inspect datasets and write synthetic data.

    NAME is a dataset from `edgelmk ls datasets`: folder formats take --root (300w, wflw,
    cofw, aflw, pts_folder), file formats take --ann and --root for the images (coco,
    coco_face, mpii). Your own points: --skeleton with the scheme the recipe declares.
    """


@data.command("check")
@dataset_options
def data_check(name: str, root: str | None, ann: str | None, split: str | None, skeleton: str | None) -> None:
    """Load every sample of NAME and report counts, box sizes and every problem.

    Problems (unreadable annotation records, missing or unreadable images, wrong point
    counts, keypoints far outside the image) are listed with their file and record. Exit
    code 1 when there is any.

    \b
    Examples:
      edgelmk data check 300w --root data/300W
      edgelmk data check pts_folder --root my_photos/train --skeleton cofw
    """
    from edgelmk.data.inspect import check_dataset
    from edgelmk.progress import progress_bar

    dataset = _dataset_from_options(name, root, ann, split, skeleton, strict=False)
    with progress_bar(len(dataset), f"checking {name}") as bar:
        stats, problems = check_dataset(dataset, progress=bar.update)
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
def data_show(name: str, root: str | None, ann: str | None, split: str | None, skeleton: str | None, out: str,
              count: int, seed: int) -> None:
    """Write a PNG grid of NAME's samples, cropped to their boxes, with keypoints drawn.

    Example: edgelmk data show synthetic_faces --out faces.png
    """
    from edgelmk.data.inspect import sample_grid
    from edgelmk.viz import write_png

    dataset = _dataset_from_options(name, root, ann, split, skeleton, strict=True)
    path = write_png(out, sample_grid(dataset, count, seed=seed))
    click.echo(f"wrote {path} ({min(count, len(dataset))} samples)")


@data.command("synth")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--n", "count", default=1000, show_default=True, help="Number of faces.")
@click.option("--seed", default=0, show_default=True, help="Base seed (sample i uses (seed, i)).")
@click.option("--size", default=256, show_default=True, help="Image side in pixels.")
@click.option("--generator", "version", type=click.Choice(["1", "2"]), default="1", show_default=True,
              help="synthetic_faces version: 1 flat drawing, 2 lit head, textured skin, natural backgrounds.")
def data_synth(out: str, count: int, seed: int, size: int, version: str) -> None:
    """Write synthetic faces in 300W's native layout (PNG + 1-based .pts).

    The folder then loads with the 300w reader: edgelmk data check 300w --root OUT

    Example: edgelmk data synth --out data/synthetic --n 2000
    """
    from edgelmk.data.synthetic import SyntheticFaces, write_300w_layout
    from edgelmk.progress import progress_bar

    if count < 1 or size < 16:
        raise click.BadParameter("--n must be >= 1 and --size >= 16")
    dataset = SyntheticFaces(num_samples=count, image_hw=(size, size), seed=seed, version=int(version))
    with progress_bar(count, "writing faces") as bar:
        folder = write_300w_layout(dataset, out, count, progress=bar.update)
    click.echo(f"wrote {count} faces to {folder}")


# --- training, evaluation, prediction ---------------------------------------------------------


def _load_recipe(path: str, overrides: tuple[str, ...]) -> dict:
    """A recipe file with its overrides, checked whole (:mod:`edgelmk.validate`): every problem at once."""
    from edgelmk import recipe as recipes
    from edgelmk import validate

    with _reported():
        config, problems = validate.problems(recipes.apply_overrides(recipes.load_yaml(path), overrides))
        if problems:
            raise recipes.problems_error(problems)
    return config


def _print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    """A plain table: one row per label, one column per metric."""
    columns = list(next(iter(rows.values())))
    width = max(len(label) for label in rows) + 2
    click.echo(title)
    click.echo(" " * width + "".join(f"{column:>12}" for column in columns))
    for label, values in rows.items():
        click.echo(f"{label:<{width}}" + "".join(f"{values.get(column, float('nan')):>12.4f}" for column in columns))


@main.command()
@click.argument("recipe_path", metavar="RECIPE", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a recipe value, e.g. --set optim.lr=3e-4 (repeatable; values are YAML).")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder [default: runs/<recipe name>].")
@click.option("--resume", is_flag=True, help="Continue from OUT/last.pt (larq: last.larq.npz) exactly where it stopped.")
@click.option("--device", help="torch device, e.g. cpu or cuda:0 [default: CUDA when present; torch backend only]; "
                                "with several processes cpu or cuda (each takes cuda:LOCAL_RANK).")
@click.option("--init", "init_from", type=click.Path(dir_okay=False), metavar="CHECKPOINT",
              help="Fine-tune: start from the weights of CHECKPOINT (.pt or .larq.npz) that fit this recipe's model "
                   "(same as --set model.init_from=CHECKPOINT); a float checkpoint can start a w1a1 or w8a8 model.")
@click.option("--teacher", type=click.Path(dir_okay=False), metavar="CHECKPOINT",
              help="Distil: learn also from the maps of the trained network CHECKPOINT (same as --set "
                   "distill.teacher=CHECKPOINT), e.g. an fp32 run of the same recipe teaching a w1a1 one.")
@click.option("--devices", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Train in N processes started with torchrun (DistributedDataParallel): one per GPU, or N CPU "
                   "processes with --device cpu. data.batch_size is the batch of all N together.")
def train(recipe_path: str, overrides: tuple[str, ...], out: str | None, resume: bool, device: str | None,
          init_from: str | None, teacher: str | None, devices: int) -> None:
    """Train the network of RECIPE (a YAML file from recipes/).

    The recipe is checked first, as `edgelmk validate` does. Writes OUT/last.pt every epoch
    (and on Ctrl-C), OUT/best.pt, OUT/recipe.yaml, OUT/metrics.csv and TensorBoard logs; prints
    the validation metric each epoch and a final table next to the mean-shape baseline. With
    --set model.backend=larq the same network trains in Keras + Larq (fp32 or w1a1; checkpoints
    OUT/best.larq.npz and OUT/last.larq.npz, which `edgelmk export --target lce|tflite` takes).

    Fine-tuning (--init or model.init_from) loads the weights that fit, reinitialises the rest
    (e.g. heads for another number of points) and prints which; --resume continues a run from
    its own checkpoint instead.

    Distillation (--teacher or distill.teacher): the loss mixes the ground truth with the
    teacher's maps on the same crops (distill.weight, the teacher's share, default 0.5) and,
    with distill.attention > 0, its attention maps at every hourglass level. The teacher is
    any trained checkpoint that predicts the same maps (keypoints, input and heatmap sizes).

    Several GPUs or processes (torch backend): --devices N, or torchrun yourself. Each process
    trains its share of every batch with the same per-sample randomness as one process, rank 0
    writes the files, and a run resumes in any number of processes. data.micro_batch_size
    splits each share into micro-batches (gradient accumulation; batch norm sees one at a time),
    optim.amp: bf16|fp16 trains in mixed precision, optim.channels_last uses NHWC memory.

    \b
    Examples:
      edgelmk train recipes/quickstart.yaml --out runs/quickstart
      edgelmk train recipes/finetune_helen29_w1a1.yaml --init runs/pretrain_faces_cofw/best.pt
      edgelmk train recipes/quickstart.yaml --set model.precision=fp32 --out runs/quickstart_fp32
      edgelmk train recipes/quickstart.yaml --teacher runs/quickstart_fp32/best.pt
      edgelmk train recipes/binary_hg_wflw.yaml --devices 4 --set optim.amp=bf16
      torchrun --nproc_per_node 4 -m edgelmk train recipes/binary_hg_wflw.yaml --out runs/wflw
    """
    from edgelmk.backends import backend_of
    from edgelmk.recipe import check_paths

    if init_from:
        overrides = (*overrides, f"model.init_from={init_from}")
    if teacher:
        overrides = (*overrides, f"distill.teacher={teacher}")
    config = _load_recipe(recipe_path, overrides)
    with _reported():
        check_paths(config)
    backend = backend_of(config)
    out_dir = Path(out) if out else Path("runs") / Path(recipe_path).stem
    if not resume and (out_dir / backend.last).exists():
        raise click.ClickException(f"{out_dir} already holds a run; add --resume to continue it, or choose "
                                   "another --out")
    if devices > 1:
        with _reported():
            backend.check_distributed(devices)
        _train_in_processes(devices, [recipe_path, *[f"--set={value}" for value in overrides], f"--out={out_dir}",
                                      *(["--resume"] if resume else []), *([f"--device={device}"] if device else [])],
                            out_dir / backend.last)
        return
    try:
        with _reported():
            from edgelmk import engine

            trainer = engine.Trainer(config, out_dir, resume=resume, device=device, log=click.echo)
            report = trainer.fit()
            baseline = trainer.mean_shape_baseline()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    if not trainer.main:
        return
    best = trainer.best
    _print_table(f"validation ({trainer.metric}, {len(trainer.val_crops)} samples; best epoch {best['epoch']})",
                 {"final model": report, "mean-shape baseline": baseline})
    click.echo(f"checkpoints: {out_dir / backend.best}, {out_dir / backend.last}")


def _train_in_processes(devices: int, train_arguments: list[str], last: Path) -> None:
    """``edgelmk train --devices N``: the same command in N processes under torchrun (PyTorch's launcher).

    Raises:
        click.ClickException: torchrun is missing, already running this process, or a process failed.
    """
    import importlib.util
    import signal
    import subprocess
    import sys

    from edgelmk.processes import launch_of

    if launch_of().distributed:
        raise click.ClickException("--devices starts torchrun itself; under torchrun leave it out")
    if importlib.util.find_spec("torch") is None:
        raise click.ClickException("--devices needs PyTorch's torchrun: pip install 'edgelmk[torch]' -c constraints.txt")
    debug = ["--debug"] if click.get_current_context().find_root().params.get("debug") else []
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={devices}",
               "-m", "edgelmk", *debug, "train", *train_arguments]
    interrupted = []
    process = subprocess.Popen(command)
    # Ctrl-C reaches torchrun and its processes too (rank 0 saves a resumable checkpoint): wait for them
    previous = signal.signal(signal.SIGINT, lambda number, frame: interrupted.append(number))
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise SystemExit(130)
    if code:
        kept = f"{last} (the last finished epoch) is kept; continue with --resume" if last.exists() else \
            "no epoch had finished, so there is no checkpoint yet"
        raise click.ClickException(f"the {devices}-process run stopped (torchrun exit code {code}; the report above "
                                   f"names the process that failed); {kept}")


@main.command()
@click.argument("recipe_path", metavar="RECIPE", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override recipe values (repeatable).")
@click.option("--show", is_flag=True, help="Print the resolved recipe (every default filled in) as YAML.")
def validate(recipe_path: str, overrides: tuple[str, ...], show: bool) -> None:
    """Check RECIPE without reading data or building the network; list every problem at once.

    Checks every key and type, the dataset, codec, model and loss sections against what they
    configure (with suggestions for typos), and the backend's precisions. Dataset folders and
    the model.init_from checkpoint that do not exist here are warnings: `edgelmk train` needs them. Exit code 1 when there is a
    problem. `edgelmk train` runs the same check first.

    Example: edgelmk validate recipes/quickstart.yaml --set model.precision=fp32 --show
    """
    import yaml

    from edgelmk import recipe as recipes
    from edgelmk import validate as validation

    with _reported():
        config, problems = validation.problems(recipes.apply_overrides(recipes.load_yaml(recipe_path), overrides))
    if show:
        click.echo(yaml.safe_dump(config, sort_keys=False).rstrip())
    for missing in recipes.missing_paths(config) if not problems else ():
        click.echo(f"warning: {missing}; edgelmk train needs it")
    if problems:
        click.echo(f"{recipe_path}: {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"{recipe_path}: valid ({config['model']['name']} {config['model']['precision']}, "
               f"{config['model']['backend']} backend, codec {config['codec']['name']}, "
               f"data {config['data']['train']['name']})")


def _trained_model(checkpoint_path: str, device: str | None, overrides=()):
    """A checkpoint's model for eval / predict (PyTorch checkpoints; a Larq one is refused with advice)."""
    from edgelmk.backends import backend_of_checkpoint

    if backend_of_checkpoint(checkpoint_path).name == "larq":
        raise click.ClickException(
            f"{checkpoint_path} is a Keras + Larq checkpoint; this command takes PyTorch checkpoints (.pt). Export it "
            "(edgelmk export CHECKPOINT --target tflite --out DIR) and give DIR/model.tflite to edgelmk predict")
    from edgelmk.engine import load_checkpoint

    with _reported():
        return load_checkpoint(checkpoint_path, device, overrides)


@main.command("eval")
@click.argument("checkpoint_path", metavar="CHECKPOINT", type=click.Path(dir_okay=False))
@click.option("--split", help="Evaluate this split of the recipe's validation dataset instead.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override recipe values (data paths).")
@click.option("--device", help="torch device [default: CUDA when present].")
def evaluate(checkpoint_path: str, split: str | None, overrides: tuple[str, ...], device: str | None) -> None:
    """Evaluate CHECKPOINT on its recipe's validation data and print the metric table.

    --set eval.flip_test=true also predicts each crop's mirror image and averages the two (flip test:
    usually a lower error, twice the time).

    Example: edgelmk eval runs/quickstart/best.pt
    """
    trained = _trained_model(checkpoint_path, device, list(overrides) + ([f"data.val.split={split}"] if split else []))
    with _reported():
        report, count = trained.evaluate()
    _print_table(f"{checkpoint_path}: {count} samples of {trained.config['data']['val']['name']}", {"model": report})


def _parse_box(box: str | None) -> list[float] | None:
    if box is None:
        return None
    try:
        values = [float(v) for v in box.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or values[2] <= values[0] or values[3] <= values[1]:
        raise click.BadParameter("must be x0,y0,x1,y1 with x1 > x0 and y1 > y0", param_hint="--box")
    return values


def _landmark_model(model_path: str, device: str | None, threads: int, flip_test: bool | None):
    """(model with predict(image, box) and scheme, skeleton) for a checkpoint or an exported model.

    ``flip_test``: None keeps a checkpoint's recipe key ``eval.flip_test`` and an exported model's one pass."""
    from edgelmk.data.skeletons import skeleton_of_sidecar
    from edgelmk.targets import TARGETS

    if Path(model_path).suffix in {target.suffix for target in TARGETS.values()}:
        from edgelmk.runtime import LandmarkModel

        model = LandmarkModel(model_path, threads, flip_test=bool(flip_test))
        return model, skeleton_of_sidecar(model.sidecar["keypoints"])
    from edgelmk.data.dataset import recipe_skeleton

    overrides = [] if flip_test is None else [f"eval.flip_test={str(flip_test).lower()}"]
    trained = _trained_model(model_path, device, overrides)
    return trained, recipe_skeleton(trained.config)


def _detector_names() -> list[str]:
    from edgelmk.runtime.detectors import DETECTORS

    return ["auto", *DETECTORS.names()]


DETECTOR_HELP = ("Face or person detector: auto (the best installed: blazeface_both, blazeface_full, blazeface, yunet, "
                 "then haar for faces; pose_detection, then hog for people), haar and hog (bundled with OpenCV), "
                 "blazeface, blazeface_full, blazeface_both (the two together), pose_detection (edgelmk models get "
                 "NAME puts them in $EDGELMK_MODELS, else ~/.cache/edgelmk/models: see edgelmk models list), yunet "
                 "(its ONNX file: --detector-file).")


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.argument("source", metavar="IMAGE|VIDEO|DIR", type=click.Path(), required=False)
@click.option("--out", required=True, type=click.Path(),
              help="For one image: the PNG to draw (coordinates go to the same name .json). Otherwise a folder: "
                   "one drawn PNG per image (or an .mp4 for a video or camera) and keypoints.json.")
@click.option("--camera", type=int, metavar="N", help="Read camera N (0: the first) instead of a file.")
@click.option("--box", help="Face or person box x0,y0,x1,y1 in pixels for every image (no detector).")
@click.option("--detector", default="auto", show_default=True, type=click.Choice(_detector_names()),
              help=DETECTOR_HELP)
@click.option("--detector-file", type=click.Path(dir_okay=False),
              help="The detector's model file, where the model cache does not hold it (YuNet's ONNX).")
@click.option("--calibration", type=click.Path(dir_okay=False),
              help="Box calibration file (edgelmk detect calibrate) [default: the one shipped for the detector and "
                   "the model's landmark scheme].")
@click.option("--no-tracking", is_flag=True, help="On video, run the detector on every frame instead of following "
                                                  "each face with its landmarks.")
@click.option("--smoothing", type=click.Choice(["one-euro", "off"]), default="one-euro", show_default=True,
              help="Keypoint filter on video: One Euro filters on the face's position and its shape "
                   "(FaceSmoother; defaults in edgelmk.runtime.smoothing), or off.")
@click.option("--max-faces", type=click.IntRange(min=1), help="At most this many faces per image (best first).")
@click.option("--redetect-every", default=30, show_default=True, type=click.IntRange(min=1),
              help="While tracking, run the detector at least every N frames (new faces appear then).")
@click.option("--max-frames", type=click.IntRange(min=1), help="Stop a video or camera after N frames.")
@click.option("--show", is_flag=True, help="Also show a live window (where a display exists).")
@click.option("--device", help="torch device for checkpoints [default: CUDA when present].")
@click.option("--threads", default=1, show_default=True, help="Interpreter threads for exported models and detectors.")
@click.option("--flip-test/--no-flip-test", default=None,
              help="Also predict each face's mirror image and average the two (twice the time, usually a few percent "
                   "lower error) [default: a checkpoint's recipe key eval.flip_test; off for exported models].")
def predict(model_path: str, source: str | None, out: str, camera: int | None, box: str | None, detector: str,
            detector_file: str | None, calibration: str | None, no_tracking: bool, smoothing: str,
            max_faces: int | None, redetect_every: int, max_frames: int | None, show: bool, device: str | None,
            threads: int, flip_test: bool | None) -> None:
    """Find every face (or person) in an image, a video, a folder or a camera; draw and write its keypoints.

    MODEL is a training checkpoint (.pt) or an exported model (.onnx / .tflite with its model.json).
    A detector finds the faces (people for body models), its boxes are calibrated to the box the
    model was trained on, and on video each face is followed by its own landmarks (the detector
    runs again when a face is lost, and every --redetect-every frames) and smoothed by the One
    Euro filter. For one image the keypoints are also printed.

    \b
    Examples:
      edgelmk predict runs/quickstart/best.pt photo.jpg --out photo_keypoints.png
      edgelmk predict export/model.tflite clip.mp4 --out clip_keypoints/ --detector blazeface
      edgelmk predict export/model.tflite --camera 0 --out live/ --show
      edgelmk predict export/model.tflite faces/ --out predictions/ --box 40,30,200,210
    """
    from edgelmk.runtime import Pipeline
    from edgelmk.runtime.annotate import annotate

    bbox = _parse_box(box)
    if (source is None) == (camera is None):
        raise click.UsageError("give either IMAGE|VIDEO|DIR or --camera N")
    with _reported(ImportError):
        model, skeleton = _landmark_model(model_path, device, threads, flip_test)
        pipeline = Pipeline(model, detector, tracking=not no_tracking, smoothing=smoothing, max_faces=max_faces,
                            redetect_every=redetect_every, calibration=calibration, threads=threads,
                            detector_file=detector_file, log=click.echo)
        content = annotate(pipeline, camera if source is None else source, out, skeleton, bbox, show=show,
                           max_frames=max_frames, log=click.echo)
    for face_index, face in enumerate(content.get("faces", [])):
        click.echo(f"face {face_index}: box " + ", ".join(f"{v:.1f}" for v in face["box"]))
        for index, ((x, y), value) in enumerate(zip(face["keypoints"], face["scores"])):
            click.echo(f"{index:3d} {skeleton.keypoint_names[index]:<20} {x:9.2f} {y:9.2f}  score {value:.3f}")


# --- edgelmk models, edgelmk detect ------------------------------------------------------------------


@main.group()
def models() -> None:
    """Detector model files: which are in the local cache, and getting them (never done implicitly).

    The cache is $EDGELMK_MODELS, else $XDG_CACHE_HOME/edgelmk/models, else ~/.cache/edgelmk/models.
    """


@models.command("list")
def models_list() -> None:
    """The model files edgelmk knows, where they come from, and whether the cache holds them."""
    from edgelmk.runtime import model_files

    click.echo(f"cache: {model_files.cache_dir()}")
    for name, entry in model_files.MODEL_FILES.items():
        there = "cached " if (model_files.cache_dir() / entry.file_name).is_file() else "missing"
        click.echo(f"{name:<16} {there}  {entry.about}")


@models.command("get")
@click.argument("name")
@click.option("--wheel", type=click.Path(dir_okay=False), help="A mediapipe wheel already downloaded "
                                                               "(else pip downloads it).")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="The model file itself (required for yunet).")
def models_get(name: str, wheel: str | None, file: str | None) -> None:
    """Put the model file NAME into the cache (blazeface, blazeface_full, pose_detection, face_landmark, yunet).

    MediaPipe's models are taken out of the mediapipe wheel on PyPI: pip downloads the wheel
    (about 35 MB, no dependencies, not installed) and only the one .tflite file is kept.
    YuNet is not on PyPI: download face_detection_yunet_2023mar.onnx from
    github.com/opencv/opencv_zoo and give it with --file.

    \b
    Examples:
      edgelmk models get blazeface
      edgelmk models get yunet --file face_detection_yunet_2023mar.onnx
    """
    from edgelmk.runtime import model_files

    with _reported():
        path = model_files.get(name, wheel, file, log=click.echo)
    click.echo(f"wrote {path}")


@main.group()
def detect() -> None:
    """Detectors: calibrate their boxes to a landmark scheme's boxes on annotated photos."""


@detect.command("calibrate")
@click.argument("detector_name", metavar="DETECTOR", type=click.Choice(_detector_names()[1:]))
@dataset_options
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Calibration file to write (entries of other detectors or schemes in it are kept).")
@click.option("--detector-file", type=click.Path(dir_okay=False), help="The detector's model file (YuNet).")
def detect_calibrate(detector_name: str, name: str, root: str | None, ann: str | None, split: str | None,
                     skeleton: str | None, out: str, detector_file: str | None) -> None:
    """Learn how DETECTOR's boxes map onto the landmark boxes of a dataset's scheme (NAME and options as for
    edgelmk data check), print the box error before and after, and write the calibration.

    \b
    Example:
      edgelmk detect calibrate blazeface coco_face --ann ../shared/fixtures/helen29/train/helen29_train.json \\
        --root ../shared/fixtures/helen29/train --skeleton cofw --out my_calibration.json
      edgelmk predict model.tflite photo.jpg --out x.png --detector blazeface --calibration my_calibration.json
    """
    from edgelmk.calibrate import calibrate_on
    from edgelmk.progress import progress_bar
    from edgelmk.runtime import calibration as calibrations
    from edgelmk.runtime.detectors import build_detector

    dataset = _dataset_from_options(name, root, ann, split, skeleton, strict=True)
    with _reported(ImportError):
        detector = build_detector(detector_name, calibrations.kind_of_scheme(dataset.skeleton.name),
                                  model_file=detector_file)
        with progress_bar(len(dataset), f"detecting ({detector_name})", unit="face") as bar:
            results = calibrate_on(detector, dataset, about=f"{name} {ann or root or ''}".strip(), progress=bar.update)
        calibrations.write(out, [result.calibration for result in results])
    for result in results:
        click.echo(result.report())
    click.echo(f"wrote {out}")


@main.command()
@click.argument("checkpoint_path", metavar="CHECKPOINT", type=click.Path(dir_okay=False))
@click.option("--target", required=True, type=click.Choice(list(TARGETS)), help="; ".join(t.help for t in TARGETS.values()))
@click.option("--int8", is_flag=True, help="Quantize to int8, calibrated on the recipe's validation crops.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the model file and model.json.")
@click.option("--samples", default=64, show_default=True,
              help="Validation crops used for int8 calibration and the parity check.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override recipe values, e.g. data paths on another machine.")
def export(checkpoint_path: str, target: str, int8: bool, out: str, samples: int, overrides: tuple[str, ...]) -> None:
    """Export CHECKPOINT for deployment and check it against the trained model.

    CHECKPOINT is a .pt (PyTorch backend: every target) or a .larq.npz (Larq backend: tflite
    and lce). Writes model.onnx or model.tflite plus model.json (codec, input size and
    quantization, keypoint names, flip pairs) into OUT, then runs the exported file through the
    edgelmk runtime on validation crops and prints how far its keypoints are from the trained
    model's.

    \b
    Examples:
      edgelmk export runs/quickstart/best.pt --target tflite --int8 --out export/tflite_int8
      edgelmk export runs/quickstart/best.pt --target lce --out export/lce
    """
    from edgelmk.export import export_checkpoint

    with _reported(ImportError):
        content = export_checkpoint(checkpoint_path, target, out, int8=int8, samples=samples, log=click.echo,
                                    overrides=overrides)
    report = content["parity"]
    click.echo(f"wrote {out}/{content['model_file']} and {out}/model.json")
    click.echo(f"parity vs the trained model on {report['samples']} validation crops: keypoint difference max "
               f"{report['max_px']:.4f} px, mean {report['mean_px']:.4f} px, 99th percentile {report['p99_px']:.4f} px "
               f"(pixels of the {content['input']['hw'][0]}x{content['input']['hw'][1]} input)")


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.option("--threads", default=1, show_default=True, help="Interpreter threads.")
@click.option("--runs", default=100, show_default=True, help="Timed predictions.")
@click.option("--warmup", default=10, show_default=True, help="Untimed predictions first.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--pipeline", "image_path", type=click.Path(dir_okay=False), metavar="IMAGE",
              help="Time the whole pipeline on this photo instead: detector, crop, inference, decode.")
@click.option("--detector", default="auto", show_default=True, type=click.Choice(_detector_names()),
              help="The detector of --pipeline.")
def bench(model_path: str, threads: int, runs: int, warmup: int, as_json: bool, image_path: str | None,
          detector: str) -> None:
    """Time an exported MODEL (.onnx / .tflite + model.json): p50/p90/p99 latency per stage.

    Stages: preprocess (crop a box of a 640x480 frame, quantize), inference (the interpreter),
    decode (the codec); plus throughput, peak memory of the process and the file size.
    With --pipeline IMAGE: end to end on that photo (every face the detector finds), stages
    detect, crop, inference, decode.

    \b
    Examples:
      edgelmk bench export/tflite_int8/model.tflite --threads 4 --runs 200
      edgelmk bench export/tflite_int8/model.tflite --pipeline photo.jpg --detector blazeface
    """
    import json

    from edgelmk.progress import progress_bar
    from edgelmk.runtime import bench as benches

    with _reported(ImportError):
        with progress_bar(runs, "bench", unit="run") as bar:
            if image_path is None:
                report = benches.bench(model_path, threads, runs, warmup, bar.update)
            else:
                from edgelmk.preprocess import load_image

                report = benches.bench_pipeline(model_path, load_image(image_path, exif_orientation=True), detector,
                                                threads, runs, warmup, bar.update, log=click.echo)
    text = benches.format_report(report) if image_path is None else benches.format_pipeline_report(report)
    click.echo(json.dumps(report, indent=2) if as_json else text)


@main.command()
@click.argument("recipe_path", metavar="RECIPE", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override recipe values.")
def info(recipe_path: str, overrides: tuple[str, ...]) -> None:
    """Print RECIPE's network: parameters, multiply-accumulates by arithmetic, deployed sizes.

    For model.backend=larq: Larq's own model summary (per layer, binarized vs float parameters,
    memory and MACs).

    Example: edgelmk info recipes/quickstart.yaml --set model.precision=fp32
    """
    from edgelmk.backends import backend_of

    config = _load_recipe(recipe_path, overrides)
    model = config["model"]
    shape = ", ".join(f"{key} {value}" for key, value in model.items()
                      if key not in ("name", "backend", "precision", "init_from"))
    click.echo(f"{model['name']} {model['precision']} in {backend_of(config).label} ({shape}); input "
               f"{config['data']['input_hw']}, heatmaps {config['codec']['heatmap_hw']}, codec {config['codec']['name']}")
    with _reported(ImportError):
        from edgelmk import engine

        click.echo(engine.summary(config))


if __name__ == "__main__":
    main()

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

    return {"codecs": CODECS}


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

    Example: edgelmk ls codecs
    """
    summaries = _registries()[kind].summaries()
    width = max(len(name) for name in summaries)
    for name, summary in summaries.items():
        click.echo(f"{name:<{width}}  {summary}")


if __name__ == "__main__":
    main()

"""``python -m edgelmk ...`` runs the command line (:mod:`edgelmk.cli`)."""

from edgelmk.cli import main

main(prog_name="edgelmk")

"""``python -m cablegate``: the command line (same as the ``cablegate`` script)."""

from cablegate.cli import app

app(prog_name="cablegate")

"""``python -m rig.bench [options]`` is ``rig bench serve [options]``."""

import sys

from rig.cli import main

raise SystemExit(main(["bench", "serve", *sys.argv[1:]]))

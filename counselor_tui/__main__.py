"""``python -m counselor_tui``: the same as the ``counselor-tui`` command."""

import sys

from counselor_tui.cli import main

sys.exit(main())

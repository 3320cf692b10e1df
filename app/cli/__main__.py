"""`python -m app.cli`: the `smshall` command."""

import sys

from app.cli import main

sys.exit(main())

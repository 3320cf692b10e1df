"""``python -m gateway_sim`` is the same as the ``gateway-sim`` command."""

import sys

from gateway_sim.cli import main

sys.exit(main())

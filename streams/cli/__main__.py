"""`python -m streams.cli`: the same as the `invoiceflow` script."""

import sys

from streams.cli import main

sys.exit(main())

"""`python -m vrtrainer` runs the command line."""

import sys

from vrtrainer.cli import main

sys.exit(main())

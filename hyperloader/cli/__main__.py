"""``python -m hyperloader.cli``."""

from hyperloader.cli import main

raise SystemExit(main())

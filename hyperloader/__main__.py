from hyperloader.cli import main

raise SystemExit(main())

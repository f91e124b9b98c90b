from server.ops.cli import main

raise SystemExit(main())

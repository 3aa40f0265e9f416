from zhuanlan.cli import main

raise SystemExit(main())

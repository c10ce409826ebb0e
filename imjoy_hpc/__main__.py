from imjoy_hpc.cli import main

raise SystemExit(main())

import sys

from coditect.cli import main

sys.exit(main())

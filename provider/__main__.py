import sys

from provider.cli import main

sys.exit(main())

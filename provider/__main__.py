import sys

from sagemaker_reconciler.cli import main

sys.exit(main())

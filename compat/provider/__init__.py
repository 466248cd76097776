"""``provider``, the package's import name before ``sagemaker_reconciler``: an alias of the same modules.

Installed only so that stacks whose state pickled the dynamic provider as
``provider.pulumi_resources...`` can still be refreshed and destroyed; new code
imports ``sagemaker_reconciler``. See ``sagemaker_reconciler/_alias.py``.
"""

import sys

import sagemaker_reconciler
from sagemaker_reconciler import _alias

_alias.install()
sys.modules[__name__] = sagemaker_reconciler

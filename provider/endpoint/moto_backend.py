"""moto's server app: everything the endpoint does not answer itself.

The only module that imports moto. Its state is process-wide (moto keeps
backends in module globals), so two endpoints in one process share it.
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

__all__ = ["create_moto_app", "reset_moto"]


def create_moto_app() -> Any:
    """moto's own host/SigV4-scope dispatcher over one Flask app per service, as ``moto_server`` builds it."""
    return DomainDispatcherApplication(create_backend_app)


def reset_moto(moto_app: Any) -> None:
    """Forget every moto resource via its documented ``POST /moto-api/reset``."""
    response = Client(moto_app).post("/moto-api/reset")
    if response.status_code != 200:
        raise RuntimeError(f"moto reset failed: HTTP {response.status_code} {response.get_data(as_text=True)}")

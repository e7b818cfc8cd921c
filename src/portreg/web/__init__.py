"""The registry on the web: pages, downloads and the JSON API, served by one app.

``create_app()`` builds it (see :mod:`portreg.web.app`); ``portreg serve`` runs it.
Nothing here is imported by the command line until ``serve`` runs, so the CLI stays light.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]

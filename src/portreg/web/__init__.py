"""The registry on the web: pages, downloads and the JSON API, served by one app.

``create_app()`` builds it (see :mod:`portreg.web.app`); ``portreg serve`` runs it.
Nothing here is imported by the command line until ``serve`` runs, so the CLI stays light.
"""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, register_url_convertor


class _BoundedInteger(IntegerConvertor):
    """``{name:int}`` in a route matches 1 to 9 ASCII digits only.

    Starlette's own takes any number of digits and converts them while routing: more
    than 4,300 made ``int()`` raise there, a 500 before any handler ran. Nine digits
    stay within a database integer; a longer number matches no route (a 404).
    """

    regex = "[0-9]{1,9}"


# Before any router is built: a route compiles its path with the convertors of the time.
register_url_convertor("int", _BoundedInteger())

from .app import create_app  # noqa: E402

__all__ = ["create_app"]

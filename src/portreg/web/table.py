"""The registry page's view of the table: the service's :class:`TableQuery` with the
links a page needs (each view and each column's sort has a URL)."""

from __future__ import annotations

from ..services.table import PAGE_SIZES, SORTS, TableData, TablePage, select
from ..services.table import TableQuery as _TableQuery
from .urls import registry_url

__all__ = ["PAGE_SIZES", "SORTS", "TableData", "TablePage", "TableQuery", "select"]


class TableQuery(_TableQuery):
    """One view of the registry page's table, with the URLs of its links."""

    def url(self, **changes: object) -> str:
        """A link to this view (with ``changes``)."""
        return registry_url(self.params(**changes))

    def sort_url(self, column: str) -> str:
        """The link a column header carries: sort by it, or flip the order if already sorted by it."""
        descending = not self.descending if self.sort == column else False
        return self.url(sort=column, descending=descending, page=1)

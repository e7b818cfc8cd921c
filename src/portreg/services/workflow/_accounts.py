"""The acting account, as the accounts service defines it (every workflow action takes one)."""

from __future__ import annotations

from ..accounts import Account

__all__ = ["Account"]

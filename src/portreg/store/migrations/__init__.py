"""Alembic migrations of the store's schema (run by ``portreg.store._migrate``)."""

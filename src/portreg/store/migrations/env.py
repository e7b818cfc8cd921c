"""Alembic environment: runs on the connection portreg hands over, in its transaction.

portreg never runs Alembic from a command line with an ini file: the store opens the
database, takes its write lock, and calls ``alembic.command.upgrade`` with the open
connection in ``config.attributes["connection"]``.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("portreg's migrations run through portreg.store (Store.open), not the alembic command")

context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

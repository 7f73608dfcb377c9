"""Alembic migrations of the trainer's database (see trainer.data.storage)."""

"""Alembic migrations of the trainer's database (see trainer.storage)."""

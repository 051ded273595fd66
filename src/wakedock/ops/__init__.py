"""Operations on a whole installation: backup and restore, the schema's migration state."""

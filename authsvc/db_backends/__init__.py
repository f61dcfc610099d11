"""Database backends: Django's own, with what this service changes in them (settings.database_from_url picks them)."""

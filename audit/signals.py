"""What `audit` itself announces: a purge of the trail, recorded by `audit.receivers` like any other event."""

from django.dispatch import Signal

audit_purged = Signal()  # + request_meta, metadata (before, deleted); written after the purge, so it survives it

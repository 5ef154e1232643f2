"""Reliability tooling: reconciliation of the database's invariants (reconcile.py) and the backup
and restore drill (scripts/backup-drill). Not a Django app: it has no models."""

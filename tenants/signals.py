"""What `tenants` announces; `audit` listens (docs/api.md §9). Senders never write audit rows.

Every signal is sent with keyword arguments `client` (a Client, or None when unknown)
and `request_meta` (a RequestMeta, or None when the event did not come over HTTP).
"""

from django.dispatch import Signal

client_registered = Signal()  # + surface ("api", "admin", "command")
access_key_rotated = Signal()  # + key_id of the new key, revoked_key_ids
access_key_revoked = Signal()  # + key_id
client_updated = Signal()  # + fields (the names of the settings staff changed)
client_deactivated = Signal()
client_reactivated = Signal()
client_deleted = Signal()  # + client_id (the Client row is gone)
# A refused attempt is announced by core.failures (action_failed), whichever app serves it.

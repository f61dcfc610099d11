"""What `accounts` announces; `audit` listens (docs/api.md §9). Nothing here writes rows.

Every signal carries `client` (Client), `user_id` (UUID or None), `request_meta`
(core.request_meta.RequestMeta or None) and, where it applies, `metadata` (small, never a
password, token or key). These are successes: a refused attempt is announced once, as
`core.failures.action_failed`, by whoever answers it.
"""

from django.dispatch import Signal

user_signed_up = Signal()
user_logged_in = Signal()
user_logged_out = Signal()
token_family_revoked = Signal()  # by staff, from the admin
token_refreshed = Signal()
email_verified = Signal()
email_verification_sent = Signal()
password_reset_requested = Signal()
password_reset_done = Signal()
user_updated = Signal()
user_deleted = Signal()
mail_failed = Signal()  # by a worker (request_meta None): never sent before its give_up_at
tokens_purged = Signal()  # by an operator (client None): expired and old revoked rows deleted; metadata says how many
signing_key_rotated = Signal()  # by an operator (client None): a new signing key; metadata names the kids
user_emails_normalized = Signal()  # by an operator: a client's stored emails rewritten; metadata says how many

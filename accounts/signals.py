"""What `accounts` announces; `audit` listens (docs/api.md §9). Nothing here writes rows.

Every signal carries `client` (Client), `user_id` (UUID or None), `request_meta`
(core.request_meta.RequestMeta or None) and, where it applies, `reason` (an error code)
and `metadata` (small, never a password, token or key). A refused attempt that none of these
names is announced as `tenants.signals.action_failed`, the one every client API shares.
"""

from django.dispatch import Signal

user_signed_up = Signal()
user_logged_in = Signal()
user_login_failed = Signal()  # reason: invalid_credentials, account_disabled, email_not_verified, ...
user_logged_out = Signal()
token_family_revoked = Signal()  # by staff, from the admin
token_refreshed = Signal()
token_reuse_detected = Signal()
email_verified = Signal()
email_verification_sent = Signal()
password_reset_requested = Signal()
password_reset_done = Signal()
user_updated = Signal()
user_deleted = Signal()

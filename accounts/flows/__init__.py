"""The writes of the accounts context, one module per flow (HackSoft's services, split by flow).

signup, login (+ login_stages), tokens (refresh, logout, revocation), users (update, delete),
email_verification, password_reset, maintenance (purge, email normalisation); shared pieces:
passwords (the checks), minting (token pairs), mail_requests (resend and forgot).

Every public function is keyword-only, takes the Client it acts for, raises our own errors
(core.errors, accounts.errors) and publishes what happened, success or failure, as an event
of the catalog (accounts.events; core.events). Import the flow's module, not this package.
"""

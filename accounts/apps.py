from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import outbox  # models are loaded only now
        from accounts.flows.login_stages import login_stage_register, login_stages
        from accounts.flows.mfa_login import MfaStage
        from accounts.flows.mfa_methods import mfa_method_register, mfa_methods
        from accounts.flows.passkey_login import PasskeyMethod
        from accounts.totp_resealing import totp_secrets_column
        from crypto.resealing import register_sealed_column

        outbox.register()
        # `manage.py reseal_secrets` seals the users' TOTP secrets again under the first key.
        register_sealed_column(totp_secrets_column())
        if not any(stage.key == MfaStage.key for stage in login_stages()):
            login_stage_register(MfaStage())
        # A passkey proves a login's second step too (login/mfa with passkey_credential).
        if not any(method.key == PasskeyMethod.key for method in mfa_methods()):
            mfa_method_register(PasskeyMethod())

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import outbox  # models are loaded only now
        from accounts.flows.login_stages import login_stage_register, login_stages
        from accounts.flows.mfa_login import MfaStage

        outbox.register()
        if not any(stage.key == MfaStage.key for stage in login_stages()):
            login_stage_register(MfaStage())

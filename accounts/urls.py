from django.urls import path

from accounts import link_pages, mail_views, mfa_views, passkey_views, transfer_views, user_views, views
from core.routing import by_method

client_api_urlpatterns = [
    path("signup", views.SignupApi.as_view(), name="signup"),
    path("login", views.LoginApi.as_view(), name="login"),
    path("token/refresh", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("token/verify", views.TokenVerifyApi.as_view(), name="token-verify"),
    path("token/revoke", views.TokenRevokeApi.as_view(), name="token-revoke"),
    path("logout", views.LogoutApi.as_view(), name="logout"),
    path("users", views.UserListApi.as_view(), name="user-list"),
    path("users/import", transfer_views.UserImportApi.as_view(), name="user-import"),
    path("users/export", transfer_views.UserExportApi.as_view(), name="user-export"),
    path(
        "users/<uuid:user_id>",
        by_method(get=views.UserGetApi, patch=views.UserUpdateApi, delete=views.UserDeleteApi),
        name="user-detail",
    ),
    path("users/<uuid:user_id>/password", user_views.UserPasswordChangeApi.as_view(), name="user-password"),
]

client_api_urlpatterns += [
    path("login/mfa", mfa_views.LoginMfaApi.as_view(), name="login-mfa"),
    path("login/mfa/totp", mfa_views.LoginTotpEnrolApi.as_view(), name="login-mfa-totp"),
    path("login/mfa/totp/confirm", mfa_views.LoginTotpConfirmApi.as_view(), name="login-mfa-totp-confirm"),
    path(
        "users/<uuid:user_id>/mfa/totp",
        by_method(post=mfa_views.TotpEnrolApi, delete=mfa_views.TotpRemoveApi),
        name="user-mfa-totp",
    ),
    path("users/<uuid:user_id>/mfa/totp/confirm", mfa_views.TotpConfirmApi.as_view(), name="user-mfa-totp-confirm"),
    path("users/<uuid:user_id>/mfa/recovery-codes", mfa_views.RecoveryCodesApi.as_view(), name="user-mfa-recovery-codes"),
]

client_api_urlpatterns += [
    path("email/verify", mail_views.EmailVerifyApi.as_view(), name="email-verify"),
    path("email/resend", mail_views.EmailResendApi.as_view(), name="email-resend"),
    path("password/forgot", mail_views.PasswordForgotApi.as_view(), name="password-forgot"),
    path("password/reset", mail_views.PasswordResetApi.as_view(), name="password-reset"),
]

# The pages our mailed links open (mounted at /links/<uuid:client_id>/ by authsvc.urls).
link_urlpatterns = [
    path("verify-email", link_pages.verify_email_page, name="link-verify-email"),
    path("reset-password", link_pages.reset_password_page, name="link-reset-password"),
]

client_api_urlpatterns += [
    path("login/passkey/options", passkey_views.PasskeyLoginOptionsApi.as_view(), name="login-passkey-options"),
    path("login/passkey", passkey_views.PasskeyLoginApi.as_view(), name="login-passkey"),
    path("login/mfa/passkey/options", passkey_views.LoginMfaPasskeyOptionsApi.as_view(), name="login-mfa-passkey-options"),
    path(
        "users/<uuid:user_id>/passkeys/registration/options",
        passkey_views.PasskeyRegistrationOptionsApi.as_view(),
        name="user-passkey-registration-options",
    ),
    path(
        "users/<uuid:user_id>/passkeys",
        by_method(get=passkey_views.PasskeyListApi, post=passkey_views.PasskeyRegisterApi),
        name="user-passkeys",
    ),
    path("users/<uuid:user_id>/passkeys/<uuid:passkey_id>", passkey_views.PasskeyRemoveApi.as_view(), name="user-passkey"),
]

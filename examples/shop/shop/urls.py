from django.urls import path

from . import views

urlpatterns = [
    path("auth/signup", views.Signup.as_view()),
    path("auth/login", views.Login.as_view()),
    path("auth/login/mfa", views.LoginMfa.as_view()),
    path("auth/login/mfa/totp", views.LoginTotpEnrol.as_view()),
    path("auth/login/mfa/totp/confirm", views.LoginTotpConfirm.as_view()),
    path("auth/refresh", views.Refresh.as_view()),
    path("auth/logout", views.Logout.as_view()),
    path("api/me", views.Me.as_view()),
    path("api/me/totp", views.MyTotp.as_view()),
    path("api/me/totp/confirm", views.MyTotpConfirm.as_view()),
    path("api/orders", views.Orders.as_view()),
]

from django.urls import path

from accounts import views

client_api_urlpatterns = [
    path("signup", views.SignupApi.as_view(), name="signup"),
    path("login", views.LoginApi.as_view(), name="login"),
    path("token/refresh", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("token/verify", views.TokenVerifyApi.as_view(), name="token-verify"),
    path("logout", views.LogoutApi.as_view(), name="logout"),
    path("users", views.UserListApi.as_view(), name="user-list"),
    path("users/<uuid:user_id>", views.UserDetailApi.as_view(), name="user-detail"),
]

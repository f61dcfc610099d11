"""An example client backend of authsvc: its users sign up and log in through authsvc (the SDK), and its
own API accepts the access tokens they get, verified in this process (authsvc_client.django).

Configured from the environment: AUTHSVC_URL, AUTHSVC_CLIENT_ID, AUTHSVC_ACCESS_KEY (from
`POST /api/v1/clients/register`), and SHOP_DATABASE (a SQLite file, default shop.sqlite3 here).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# An example run on loopback; a real deployment sets its own secret key, DEBUG off and its hosts.
SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "shop-example-only-not-a-secret")
DEBUG = os.environ.get("SHOP_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["rest_framework", "shop"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("SHOP_DATABASE", BASE_DIR / "shop.sqlite3")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# The SDK's client (shop/authsvc.py) and the offline verifier of the DRF class read this.
AUTHSVC_CLIENT = {
    "BASE_URL": os.environ.get("AUTHSVC_URL", "http://127.0.0.1:8000"),
    "CLIENT_ID": os.environ.get("AUTHSVC_CLIENT_ID", ""),
    "ACCESS_KEY": os.environ.get("AUTHSVC_ACCESS_KEY", ""),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["authsvc_client.django.AuthsvcAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # No django.contrib.auth here: the shop keeps no users of its own, authsvc does.
    "UNAUTHENTICATED_USER": None,
}

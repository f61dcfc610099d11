"""Worker process for our service: one store, one settings module, commands from bench/run.py.

Requests go through `authsvc.wsgi.application` in-process, the whole stack: middleware,
access-key authentication, rate limiting (Redis), the service, the audit receivers.
"""

import cProfile
import io
import pstats
import time
import uuid

import django
import pyotp

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from authsvc.wsgi import application  # noqa: E402
from bench.common import Channel, expect, rss_bytes, wsgi_call  # noqa: E402
from tenants.services import client_register  # noqa: E402
from tenants.user_models import user_model_cache, user_model_for  # noqa: E402

PASSWORD = "bench passphrase, long enough"


class Ours:
    def __init__(self) -> None:
        self.client_id = ""
        self.key = ""
        self.emails: dict[int, str] = {}  # bcrypt rounds -> email of a user hashed at those rounds
        self.hashes: dict[int, str] = {}
        self.refresh_token = ""
        self.access_token = ""
        self.totp: dict[int, tuple[str, str, pyotp.TOTP]] = {}  # rounds -> (email, user_id, authenticator)

    # --- set-up ------------------------------------------------------------------------

    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self) -> dict:
        registered = client_register(client_name="Bench", industry="SaaS", surface="bench")
        self.client_id, self.key = str(registered.client.client_id), registered.access_key
        body = self._post("signup", {"email": "bench@example.com", "password": PASSWORD}, 201)
        self.access_token, self.refresh_token = body["access_token"], body["refresh_token"]
        self.emails[settings.AUTHSVC_BCRYPT_ROUNDS] = "bench@example.com"
        return {"client_id": self.client_id, "rss": rss_bytes()}

    def _post(self, path: str, body: dict, wanted: int = 200) -> dict:
        status, payload = wsgi_call(
            application, "POST", f"/api/v1/{self.client_id}/{path}", body, {"Authorization": f"Bearer {self.key}"}
        )
        return expect(status, payload, wanted)

    def _user_at_rounds(self, rounds: int) -> str:
        """A user whose stored hash has `rounds`, so a login never upgrades (re-hashes) it."""
        settings.AUTHSVC_BCRYPT_ROUNDS = rounds
        if rounds not in self.emails:
            email = f"bench-{rounds}@example.com"
            self._post("signup", {"email": email, "password": PASSWORD}, 201)
            self.emails[rounds] = email
            self.hashes[rounds] = make_password(PASSWORD)
        self.hashes.setdefault(rounds, make_password(PASSWORD))
        return self.emails[rounds]

    # --- figure 1 ----------------------------------------------------------------------

    def login(self, n: int, rounds: int) -> dict:
        email = self._user_at_rounds(rounds)
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            self._post("login", {"email": email, "password": PASSWORD})
            latencies.append(time.perf_counter() - started)
        return {"latencies": latencies}

    def check_password(self, n: int, rounds: int) -> dict:
        self._user_at_rounds(rounds)
        encoded = self.hashes[rounds]
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            if not check_password(PASSWORD, encoded):
                raise RuntimeError("check_password refused the right password")
            latencies.append(time.perf_counter() - started)
        return {"latencies": latencies}

    # --- figure 8: login with TOTP ----------------------------------------------------------

    def _totp_user(self, rounds: int) -> tuple[str, pyotp.TOTP]:
        """A user hashed at `rounds` with TOTP on (enrolled and confirmed through the API), once."""
        if rounds not in self.totp:
            settings.AUTHSVC_BCRYPT_ROUNDS = rounds
            email = f"bench-totp-{rounds}@example.com"
            user_id = self._post("signup", {"email": email, "password": PASSWORD}, 201)["user_id"]
            enrolment = self._post(f"users/{user_id}/mfa/totp", {}, 201)
            authenticator = pyotp.TOTP(enrolment["secret"])
            self._post(f"users/{user_id}/mfa/totp/confirm", {"code": authenticator.now()})
            self.totp[rounds] = (email, user_id, authenticator)
        settings.AUTHSVC_BCRYPT_ROUNDS = rounds
        email, _, authenticator = self.totp[rounds]
        return email, authenticator

    def _forget_used_step(self, rounds: int) -> None:
        """Each TOTP step is accepted once: between timed logins (untimed) the used step is forgotten,
        as if the next login came 30 seconds later."""
        _, user_id, _ = self.totp[rounds]
        model = user_model_for(uuid.UUID(self.client_id))
        row = model.objects.get(pk=user_id)
        row.mfa["totp"]["last_used_step"] = None
        model.objects.filter(pk=user_id).update(mfa=row.mfa)

    def login_totp(self, n: int, rounds: int) -> dict:
        """The whole login of a user with TOTP: the password call (mfa_token), then login/mfa with a code."""
        email, authenticator = self._totp_user(rounds)
        latencies = []
        for _ in range(n):
            self._forget_used_step(rounds)
            started = time.perf_counter()
            token = self._post("login", {"email": email, "password": PASSWORD})["mfa_token"]
            self._post("login/mfa", {"mfa_token": token, "code": authenticator.now()})
            latencies.append(time.perf_counter() - started)
        return {"latencies": latencies}

    def totp_check(self, n: int, rounds: int) -> dict:
        """One TOTP check (pyotp, the accepted window), the floor's second half."""
        _, authenticator = self._totp_user(rounds)
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            if not authenticator.verify(authenticator.now(), valid_window=1):
                raise RuntimeError("pyotp refused its own code")
            latencies.append(time.perf_counter() - started)
        return {"latencies": latencies}

    # --- figure 2 and the hot paths ---------------------------------------------------------

    def refresh(self, n: int) -> dict:
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            body = self._post("token/refresh", {"refresh_token": self.refresh_token})
            latencies.append(time.perf_counter() - started)
            self.refresh_token, self.access_token = body["refresh_token"], body["access_token"]
        return {"latencies": latencies}

    def verify(self, n: int, count_rate_limits: bool = True) -> dict:
        # count_rate_limits=False is a what-if of figure 2, never the configuration.
        settings.AUTHSVC_RATE_LIMITS_ENABLED = count_rate_limits
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            body = self._post("token/verify", {"token": self.access_token})
            latencies.append(time.perf_counter() - started)
            if not body.get("active"):
                raise RuntimeError(f"verify answered {body}")
        return {"latencies": latencies}

    def queries(self) -> dict:
        """Database round trips of one refresh and one verify (models built: the cache's counter)."""
        counts = {}
        for name, action in (("refresh", lambda: self.refresh(1)), ("verify", lambda: self.verify(1))):
            builds = user_model_cache.builds
            with CaptureQueriesContext(connections["default"]) as captured:
                action()
            counts[name] = {"queries": len(captured.captured_queries), "models_built": user_model_cache.builds - builds}
        return counts

    def profile(self, op: str, n: int, path: str, **args) -> dict:
        """cProfile `n` requests of `op`; the full listing goes to `path`, a breakdown per request back."""
        profiler = cProfile.Profile()
        profiler.enable()
        result = getattr(self, op)(n, **args)
        profiler.disable()
        stats = pstats.Stats(profiler)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
        with open(path, "w") as handle:
            handle.write(text.getvalue())
        return {"latencies": result["latencies"], "breakdown_ms": breakdown(stats, n)}


# Where one request's time goes, by the functions that own each step (cumulative, per request).
# Profiling slows Python code more than I/O, so read these as shares, not as timings.
STEPS = {
    "whole request (WSGI)": ("django/core/handlers/wsgi.py", "__call__"),
    "access-key authentication": ("clientapi/authentication.py", "authenticate"),
    "rate limit (Redis)": ("clientapi/ratelimits.py", "enforce_client_limit"),
    "view (after authentication)": ("accounts/views.py", "post"),
    "token_refresh service": ("accounts/flows/tokens.py", "token_refresh"),
    "access_token_introspect selector": ("accounts/selectors.py", "access_token_introspect"),
    "token decode + row lookup": ("accounts/flows/tokens.py", "_decode_refresh"),
    "token objects (decode or build)": ("accounts/tokens.py", "__init__"),
    "user lookup": ("accounts/selectors.py", "user_get"),
    "token signing": ("accounts/flows/minting.py", "pair_mint"),
    "successor + spend writes": ("accounts/flows/tokens.py", "_record_successor_and_spend"),
    "audit record": ("audit/receivers.py", "record"),
}


def breakdown(stats: pstats.Stats, n: int) -> dict:
    found = {}
    for (filename, _line, function), (_calls, _primitive, _total, cumulative, callers) in stats.stats.items():
        for step, (file_suffix, name) in STEPS.items():
            if function == name and filename.endswith(file_suffix):
                # Only the outermost frames of a function: its recursive calls are inside them.
                outer = sum(
                    caller_stats[3]
                    for caller, caller_stats in callers.items()
                    if not (caller[0].endswith(file_suffix) and caller[2] == name)
                )
                found[step] = found.get(step, 0.0) + (outer if callers else cumulative)
    return {step: round(found[step] / n * 1000, 2) for step in STEPS if step in found}

if __name__ == "__main__":
    ours = Ours()
    Channel().serve(
        {
            name: getattr(ours, name)
            for name in (
                "migrate", "setup", "login", "check_password", "login_totp", "totp_check", "refresh", "verify", "queries", "profile",
            )
        }
    )

"""One deployment, two server processes on one database: a TOTP code or a recovery code sent to both at once
is accepted once, and codes racing on one mfa_token through both processes get five tries in all."""

import time

import pyotp
import pytest
from cryptography.fernet import Fernet

from accounts.flows.mfa_methods import RecoveryCodeMethod, TotpMethod
from tests.accounts.conftest import PASSWORD
from tests.concurrency import at_once
from tests.production import ProductionServer, production_server_running

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]

# Limits out of the way (the races, not the limiter, are under test here), and a sealing key of the deployment's.
SERVERS = {"AUTHSVC_RATE_MFA_USER": "1000/m", "AUTHSVC_RATE_LOGIN_EMAIL": "1000/m", "AUTHSVC_SEALING_KEYS": Fernet.generate_key().decode()}


class Deployment:
    """A client and a user with TOTP on, set up through the two servers' APIs."""

    def __init__(self, servers: list[ProductionServer]):
        self.servers = servers
        status, registered = servers[0].request("POST", "/api/v1/clients/register", {"client_name": "Acme", "industry": "SaaS"})
        assert status == 201, registered
        self.base, self.key = f"/api/v1/{registered['client_id']}/", registered["access_key"]
        status, user = self.call(1, "signup", {"email": "ada@example.com", "password": PASSWORD})
        assert status == 201, user
        self.user_id = user["user_id"]
        status, enrolment = self.call(0, f"users/{self.user_id}/mfa/totp", {})
        self.authenticator = pyotp.parse_uri(enrolment["otpauth_uri"])
        # The step before now confirms, so that now's and the next step's codes are fresh for the races.
        previous = self.authenticator.at(time.time() - self.authenticator.interval)
        status, confirmed = self.call(1, f"users/{self.user_id}/mfa/totp/confirm", {"code": previous})
        assert status == 200, confirmed
        self.recovery_codes = confirmed["recovery_codes"]

    def call(self, server: int, path: str, body: dict) -> tuple[int, dict]:
        return self.servers[server].request("POST", self.base + path, body, key=self.key)

    def mfa_token(self, server: int) -> str:
        status, body = self.call(server, "login", {"email": "ada@example.com", "password": PASSWORD})
        assert status == 200 and body["mfa_required"], body
        return body["mfa_token"]

    def race(self, code: str) -> list[tuple[int, dict]]:
        """Two logins, one per server, each finishing with `code` at the same moment."""
        logins = iter([(0, self.mfa_token(0)), (1, self.mfa_token(1))])  # next() on it is atomic: one per thread

        def finish() -> tuple[int, dict]:
            server, token = next(logins)
            return self.call(server, "login/mfa", {"mfa_token": token, "code": code})

        return at_once(2, finish)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Two server processes of one deployment (one database, one secret and sealing key), one worker each."""
    with (
        production_server_running(tmp_path_factory.mktemp("first"), WEB_CONCURRENCY="1", **SERVERS) as first,
        production_server_running(tmp_path_factory.mktemp("second"), beside=first, WEB_CONCURRENCY="1", **SERVERS) as second,
    ):
        yield Deployment([first, second])


def outcomes(answers) -> list[tuple[int, str]]:
    return sorted((status, body.get("error", "")) for status, body in answers)


def test_a_totp_code_sent_to_both_processes_at_once_is_accepted_once(deployment):
    """One 200, one 401 invalid_mfa_code; the same code then fails on either process."""
    code = deployment.authenticator.now()
    assert outcomes(deployment.race(code)) == [(200, ""), (401, "invalid_mfa_code")]
    for server in (0, 1):
        status, body = deployment.call(server, "login/mfa", {"mfa_token": deployment.mfa_token(server), "code": code})
        assert (status, body["error"]) == (401, "invalid_mfa_code")


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_recovery_code_sent_to_both_processes_at_once_is_spent_once(deployment, index):
    """Three rounds, each code raced through both processes: one 200, one 401 invalid_mfa_code."""
    assert outcomes(deployment.race(deployment.recovery_codes[index])) == [(200, ""), (401, "invalid_mfa_code")]


def test_codes_racing_on_one_token_through_both_processes_get_five_tries(deployment):
    """Ten wrong codes at once on one mfa_token, half to each process: five counted, five find it used up."""
    token = deployment.mfa_token(0)
    wrong = "000000" if deployment.authenticator.now() != "000000" else "111111"
    sent = iter(range(10))
    answers = at_once(10, lambda: deployment.call(next(sent) % 2, "login/mfa", {"mfa_token": token, "code": wrong}))
    assert outcomes(answers) == [(401, "invalid_mfa_code")] * 5 + [(401, "invalid_token")] * 5


# --- the interleaving a race needs, made certain: both processes read the row before either writes --------


def two_reads(totp_user):
    """The user's row as two processes would hold it, each read before the other wrote."""
    return totp_user.user.row(), totp_user.user.row()


def test_a_totp_step_read_by_two_processes_is_spent_by_one(totp_user):
    """The second spend's conditional write matches nothing; read again, the step is used: refused."""
    first, second = two_reads(totp_user)
    code = totp_user.code()
    client = totp_user.user.tenant.client
    assert TotpMethod().check(client=client, user=first, proof=code).use() is not None
    assert TotpMethod().check(client=client, user=second, proof=code).use() is None


def test_a_recovery_code_read_by_two_processes_is_spent_by_one(totp_user):
    """Same interleaving with a recovery code: one spend, nine codes left, not eight."""
    first, second = two_reads(totp_user)
    code, client = totp_user.recovery_codes[0], totp_user.user.tenant.client
    assert RecoveryCodeMethod().check(client=client, user=first, proof=code).use().details == {"codes_left": 9}
    assert RecoveryCodeMethod().check(client=client, user=second, proof=code).use() is None
    assert len(totp_user.user.row().mfa["recovery_codes"]["digests"]) == 9


def test_two_different_recovery_codes_read_at_once_are_both_spent(totp_user):
    """A lost compare-and-set is retried on the fresh row: a different code still goes through, and both are gone."""
    first, second = two_reads(totp_user)
    client = totp_user.user.tenant.client
    assert RecoveryCodeMethod().check(client=client, user=first, proof=totp_user.recovery_codes[0]).use() is not None
    assert RecoveryCodeMethod().check(client=client, user=second, proof=totp_user.recovery_codes[1]).use().details == {"codes_left": 8}

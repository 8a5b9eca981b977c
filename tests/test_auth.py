"""Auth adapters over the wire: login, re-login, refresh, minting; and the token commands."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import jwt
import pytest
from hostile_server import HostileServer

from chatmigrate.auth import (
    AuthAdapter,
    AuthFailed,
    BearerAuth,
    MintAuth,
    SessionAuth,
    TokenEndpointAuth,
    build_auth,
    mint_token,
    send,
)
from chatmigrate.cli import main
from chatmigrate.config import AuthConfig
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError, TransportError
from chatmigrate.redact import MASK
from chatmigrate.tokeninspect import inspect_token

T = TypeVar("T")
LEGACY_CHAT = "/admin/chat/"
JWT_CHAT = "/api/v1/admin/chat/"


def run(work: Callable[[httpx.AsyncClient], Awaitable[T]], posted: list[str] | None = None) -> T:
    """``posted`` collects the path of every POST the adapter sends: logins and refreshes, seen on the wire."""

    async def record(request: httpx.Request) -> None:
        if posted is not None and request.method == "POST":
            posted.append(request.url.path)

    async def go() -> T:
        async with httpx.AsyncClient(follow_redirects=False, event_hooks={"request": [record]}) as client:
            return await work(client)

    return asyncio.run(go())


async def get(client: httpx.AsyncClient, auth: AuthAdapter, url: str) -> httpx.Response:
    return await send(client, auth, lambda: client.build_request("GET", url, params={"request_type": "chat_list"}))


def test_session_adapter_logs_in_through_the_form_and_reads_the_chat(server: EmbeddedServer) -> None:
    auth = SessionAuth(server.base_url, "admin", server.config.password)

    async def work(client: httpx.AsyncClient) -> httpx.Response:
        await auth.prepare(client)
        return await get(client, auth, server.base_url + LEGACY_CHAT)

    response = run(work)
    assert (response.status_code, response.json()["request_type"]) == (200, "chat_list")
    assert auth.principal == "admin"


def test_session_adapter_logs_in_again_when_the_session_dies(server: EmbeddedServer) -> None:
    auth = SessionAuth(server.base_url, "admin", server.config.password)

    async def work(client: httpx.AsyncClient) -> tuple[int, int, int]:
        await auth.prepare(client)
        logout = await send(client, auth, lambda: client.build_request("POST", server.base_url + "/admin/logout/"))
        before = auth.generation
        response = await get(client, auth, server.base_url + LEGACY_CHAT)
        return logout.status_code, response.status_code, auth.generation - before

    logged_out, status, relogins = run(work)
    assert (logged_out, status, relogins) == (200, 200, 1)


def test_session_login_with_a_wrong_password_is_a_config_error_without_the_password(server: EmbeddedServer) -> None:
    auth = SessionAuth(server.base_url, "admin", "wrong-password-123")
    with pytest.raises(ConfigError, match="wrong password") as caught:
        run(auth.prepare)
    assert "wrong-password-123" not in str(caught.value)


def test_token_endpoint_adapter_refreshes_before_expiry(server: EmbeddedServer) -> None:
    auth = TokenEndpointAuth(
        server.base_url, "admin", server.config.password, refresh_margin=server.config.access_ttl + 60
    )

    async def work(client: httpx.AsyncClient) -> int:
        await auth.prepare(client)
        return (await get(client, auth, server.base_url + JWT_CHAT)).status_code

    posted: list[str] = []
    assert run(work, posted) == 200
    assert posted == ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/"]


def test_token_endpoint_adapter_logs_in_again_when_refresh_is_refused(server: EmbeddedServer) -> None:
    auth = TokenEndpointAuth(
        server.base_url,
        "admin",
        server.config.password,
        refresh_path="/api/v1/auth/gone/",
        refresh_margin=server.config.access_ttl + 60,
    )

    async def work(client: httpx.AsyncClient) -> int:
        await auth.prepare(client)
        return (await get(client, auth, server.base_url + JWT_CHAT)).status_code

    posted: list[str] = []
    assert run(work, posted) == 200
    assert posted == ["/api/v1/auth/token/", "/api/v1/auth/gone/", "/api/v1/auth/token/"]


def test_a_token_endpoint_that_refuses_the_password_is_a_config_error(server: EmbeddedServer) -> None:
    auth = TokenEndpointAuth(server.base_url, "admin", "wrong-password-123")
    with pytest.raises(AuthFailed, match="refused: status 401"):
        run(auth.prepare)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ("503", "status 503, no access token in the answer (text/html"),
        ("no-csrftoken", "status 200, no access token in the answer (text/html"),
        ("gzip-bomb", "status 200, too-large"),
        ("truncated", "status 200, RemoteProtocolError"),
    ],
)
def test_a_token_endpoint_that_gives_no_usable_answer_is_a_transport_error(fault: str, cause: str) -> None:
    with HostileServer(fault, "token") as target:
        auth = TokenEndpointAuth(target.url, "admin", "any-password")
        with pytest.raises(TransportError) as caught:
            run(auth.prepare)
    assert not isinstance(caught.value, AuthFailed)
    assert f"token login as 'admin' at {target.url}/api/v1/auth/token/: {cause}" in str(caught.value)


def test_a_refresh_endpoint_answering_5xx_is_a_transport_error_not_a_fresh_login() -> None:
    with HostileServer("502", "refresh") as target:
        auth = TokenEndpointAuth(target.url, "admin", "any-password", refresh_margin=3600)
        posted: list[str] = []
        with pytest.raises(TransportError, match=r"token refresh at .*/api/v1/auth/token/refresh/: status 502"):
            run(lambda client: get_after_login(client, auth, target.url + JWT_CHAT), posted)
    assert posted == ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/"]


async def get_after_login(client: httpx.AsyncClient, auth: AuthAdapter, url: str) -> httpx.Response:
    await auth.prepare(client)
    return await get(client, auth, url)


def test_token_endpoint_principal_is_the_token_subject(server: EmbeddedServer) -> None:
    auth = TokenEndpointAuth(server.base_url, "support", server.config.password)
    run(auth.prepare)
    assert auth.principal == "support"


def test_bearer_adapter_sends_a_static_token_from_the_environment(server: EmbeddedServer) -> None:
    token = mint_token(server.config.jwt_secret, user_id=1, username="admin", role="admin", ttl=300)
    auth = build_auth(
        AuthConfig(kind="bearer", token_env="STAGING_TOKEN"), server.base_url, env={"STAGING_TOKEN": token}
    )
    assert isinstance(auth, BearerAuth) and auth.principal == "admin"
    assert run(lambda client: get(client, auth, server.base_url + JWT_CHAT)).status_code == 200


def test_bearer_token_can_come_from_a_file(server: EmbeddedServer, tmp_path: Path) -> None:
    token = mint_token(server.config.jwt_secret, user_id=2, username="support", role="support", ttl=300)
    (tmp_path / "token").write_text(token + "\n")
    auth = build_auth(AuthConfig(kind="bearer", token_file=tmp_path / "token"), server.base_url, env={})
    assert run(lambda client: get(client, auth, server.base_url + JWT_CHAT)).status_code == 200


def test_mint_adapter_signs_tokens_the_server_accepts(server: EmbeddedServer) -> None:
    auth = build_auth(
        AuthConfig(kind="mint", secret_env="JWT_SECRET", user_id=1, username="admin", ttl=60),
        server.base_url,
        env={"JWT_SECRET": server.config.jwt_secret},
    )
    assert isinstance(auth, MintAuth) and auth.principal == "admin"
    assert run(lambda client: get(client, auth, server.base_url + JWT_CHAT)).status_code == 200


def test_minted_tokens_carry_exactly_the_jwt_tier_claims() -> None:
    token = mint_token("s" * 32, user_id=1, username="admin", role="admin", email="a@example.com", ttl=900, now=1000)
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {
        "user_id": 1,
        "username": "admin",
        "email": "a@example.com",
        "role": "admin",
        "exp": 1900,
        "iat": 1000,
    }


def test_a_missing_secret_variable_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="STAGING_PASSWORD"):
        build_auth(AuthConfig(kind="session", username="admin", password_env="STAGING_PASSWORD"), "http://x", env={})


def test_inspect_reports_claims_expiry_and_signature_status() -> None:
    token = mint_token("s" * 32, user_id=1, username="admin", role="admin", ttl=900, now=time.time())
    report = inspect_token(token, secret="s" * 32)
    assert report.header["alg"] == "HS256" and report.claims["username"] == "admin"
    assert report.expiry.startswith("expires in 14m")
    assert report.signature.startswith(MASK) and "valid" in report.signature
    assert "INVALID" in inspect_token(token, secret="t" * 32).signature
    assert "not checked" in inspect_token(token).signature


def test_inspect_says_how_long_ago_a_token_expired() -> None:
    token = mint_token("s" * 32, user_id=1, username="admin", role="admin", ttl=60, now=time.time() - 7260)
    assert inspect_token(token).expiry.startswith("expired 2h")


def test_token_mint_prints_only_the_token_on_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_TEST_SECRET", "x" * 32)
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "token",
                "mint",
                "--secret-env",
                "CM_TEST_SECRET",
                "--role",
                "admin",
                "--user-id",
                "1",
                "--username",
                "admin",
                "--ttl",
                "15m",
            ]
        )
    out, err = capsys.readouterr()
    claims = jwt.decode(out.strip(), "x" * 32, algorithms=["HS256"])
    assert (exited.value.code, claims["exp"] - claims["iat"], err) == (0, 900, "")


def test_token_inspect_shows_claims_but_never_the_signature(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_TEST_SECRET", "x" * 32)
    token = mint_token("x" * 32, user_id=1, username="admin", role="admin", ttl=900)
    with pytest.raises(SystemExit) as exited:
        main(["token", "inspect", token, "--secret-env", "CM_TEST_SECRET"])
    out, _ = capsys.readouterr()
    assert exited.value.code == 0
    assert '"username": "admin"' in out and "valid HS256 signature" in out
    assert token.rsplit(".", 1)[1] not in out and token not in out


def test_token_inspect_of_garbage_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "inspect", "not-a-token"])
    _, err = capsys.readouterr()
    assert exited.value.code == 2 and err.count("\n") == 1 and "not a JWT" in err


@pytest.mark.parametrize("exp", ["1e20", "NaN"], ids=["overflowing", "nan"])
def test_token_inspect_of_an_exp_that_is_no_time_says_so(capsys: pytest.CaptureFixture[str], exp: str) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(f'{{"user_id":1,"exp":{exp}}}'.encode()).rstrip(b"=").decode()
    with pytest.raises(SystemExit) as exited:
        main(["token", "inspect", f"{header}.{payload}.c2lnbmF0dXJl"])
    out, _ = capsys.readouterr()
    assert exited.value.code == 0 and "is not a valid time" in out

"""Single catalogue cases on the wire: built from the live context, sent, judged by the engine alone."""

from __future__ import annotations

import asyncio
import dataclasses

from server_wire import PASSWORD, access_token

from chatmigrate.audit import AuditOptions, AuditTarget, Principal, embedded_target
from chatmigrate.audit.calibrate import calibrate
from chatmigrate.audit.catalogue import by_id
from chatmigrate.audit.context import AuditContext, no_cookie_client
from chatmigrate.audit.engine import CaseRun, execute, judge_runs, sender
from chatmigrate.audit.policy import AuditPolicy, JsonType
from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe
from chatmigrate.audit.rules import JudgeContext
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import Severity


def run_case(target: AuditTarget, case_id: str, *tiers: str, policy: AuditPolicy | None = None) -> list[CaseRun]:
    async def run() -> list[CaseRun]:
        options = AuditOptions(tiers=frozenset(tiers), budget=0, contract=False, policy=policy or AuditPolicy())
        async with no_cookie_client(options.timeout, options.concurrency) as client:
            ctx = AuditContext(target, options, client)
            await ctx.prepare()
            send = sender(ctx)
            calibrations = await calibrate(ctx, send)
            runs = await execute(ctx, [by_id()[case_id]], send)
        judge_runs(runs, JudgeContext(markers=ctx.markers, login_path=target.login_path, calibrations=calibrations))
        return runs

    return asyncio.run(run())


def test_identity_headers_naming_a_non_ascii_principal_are_sent_and_refused(server: EmbeddedServer) -> None:
    target = dataclasses.replace(
        embedded_target(server), principal=Principal("José", PASSWORD), token=access_token(server)
    )
    runs = run_case(target, "proxy-identity-headers", "new", "proxy")
    assert {run.tier for run in runs} == {"new", "proxy"}
    named = [item for run in runs for item in run.probes if item.probe.label.startswith("identity headers")]
    assert [item.observation.status for item in named if isinstance(item.observation, HttpObservation)] == [401] * 4
    assert [item.violations for item in named] == [[], [], [], []]


def test_the_non_staff_session_case_is_not_applicable_when_no_login_gives_it_a_session(
    scratch_server: EmbeddedServer,
) -> None:
    target = dataclasses.replace(embedded_target(scratch_server), site_login_path=None)
    (run,) = run_case(target, "legacy-non-staff-session", "old")
    assert run.not_applicable is not None and run.probes == []


def test_a_non_staff_session_from_the_site_login_is_probed_with_its_cookie(scratch_server: EmbeddedServer) -> None:
    (run,) = run_case(embedded_target(scratch_server), "legacy-non-staff-session", "old")
    (item,) = run.probes
    assert isinstance(item.probe, HttpProbe) and item.probe.label == "non-staff via site login"
    assert dict(item.probe.headers)["Cookie"].startswith("sessionid=")
    assert item.violations == []


def expectations(runs: list[CaseRun]) -> dict[str, Expect]:
    return {item.probe.label: item.probe.expect for run in runs for item in run.probes}


def test_a_lowercase_scheme_refused_is_an_interoperability_note_unless_the_target_promises_it(
    server: EmbeddedServer,
) -> None:
    (default,) = run_case(embedded_target(server), "hdr-scheme-case-documented", "new")
    (promised,) = run_case(
        embedded_target(server),
        "hdr-scheme-case-documented",
        "new",
        policy=AuditPolicy(bearer_scheme_case_insensitive=True),
    )
    assert set(expectations([default]).values()) == {Expect.INTEROPERABLE}
    assert set(expectations([promised]).values()) == {Expect.ACCEPTED}
    assert [item.violations for item in (*default.probes, *promised.probes)] == [[], [], [], []]


def test_the_own_user_id_as_a_string_may_be_accepted_by_default_and_other_types_are_low(
    server: EmbeddedServer,
) -> None:
    (run,) = run_case(embedded_target(server), "claim-user-id-types", "new")
    probes = {item.probe.label: item.probe for item in run.probes}
    assert "integer id" not in probes, "the genuine token's own type is not a variation"
    assert probes["string id"].expect is Expect.CLEAN_EITHER
    assert (probes["float id"].expect, probes["float id"].breach) == (Expect.REFUSED, Severity.LOW)
    assert probes["SQL"].breach is Severity.CRITICAL
    assert [item.violations for item in run.probes if item.violations] == []


def test_a_policy_of_integer_ids_only_refuses_the_string_id(server: EmbeddedServer) -> None:
    policy = AuditPolicy(user_id_types=frozenset({JsonType.INTEGER}))
    (run,) = run_case(embedded_target(server), "claim-user-id-types", "new", policy=policy)
    assert expectations([run])["string id"] is Expect.REFUSED


def test_csrf_cases_pass_on_a_403_and_check_the_reason_text_only_where_declared(server: EmbeddedServer) -> None:
    target = embedded_target(server)
    plain = run_case(target, "legacy-csrf-token-missing", "old")
    declared = run_case(target, "legacy-csrf-token-missing", "old", policy=AuditPolicy(csrf_failure_reason=True))
    assert [item.probe.reason for run in plain for item in run.probes] == [None]
    assert [item.probe.reason for run in declared for item in run.probes] == ["CSRF token missing."]
    assert [item.violations for run in (*plain, *declared) for item in run.probes] == [[], []]


def test_the_no_referer_probe_needs_https_or_a_declared_forwarded_proto(server: EmbeddedServer) -> None:
    target = embedded_target(server)
    plain = run_case(target, "legacy-csrf-bad-origin", "old")
    forwarded = run_case(target, "legacy-csrf-bad-origin", "old", policy=AuditPolicy(forwarded_proto_https=True))
    assert list(expectations(plain)) == ["foreign Origin"]
    assert list(expectations(forwarded)) == ["foreign Origin", "secure, no Referer"]
    assert [item.violations for run in forwarded for item in run.probes] == [[], []]


def test_a_foreign_audience_must_be_refused_only_where_an_audience_is_declared(server: EmbeddedServer) -> None:
    target = embedded_target(server)
    (plain,) = run_case(target, "claim-iss-aud", "new")
    (declared,) = run_case(target, "claim-iss-aud", "new", policy=AuditPolicy(audience="chat-admin"))
    assert expectations([plain])["foreign aud"] is Expect.CLEAN_EITHER
    assert expectations([declared])["foreign aud"] is Expect.REFUSED
    assert [item.violations for item in (*plain.probes, *declared.probes)] == [[], [], [], []]

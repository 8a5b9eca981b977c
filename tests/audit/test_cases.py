"""Single catalogue cases on the wire: built from the live context, sent, judged by the engine alone."""

from __future__ import annotations

import asyncio
import dataclasses

from server_wire import PASSWORD, access_token

from chatmigrate.audit import AuditOptions, AuditTarget, Principal, embedded_target
from chatmigrate.audit.catalogue import by_id
from chatmigrate.audit.context import AuditContext, no_cookie_client
from chatmigrate.audit.engine import CaseRun, execute, judge_runs
from chatmigrate.audit.probe import HttpObservation, HttpProbe
from chatmigrate.audit.rules import JudgeContext
from chatmigrate.embedded import EmbeddedServer


def run_case(target: AuditTarget, case_id: str, *tiers: str) -> list[CaseRun]:
    async def run() -> list[CaseRun]:
        options = AuditOptions(tiers=frozenset(tiers), budget=0, contract=False)
        async with no_cookie_client(options.timeout, options.concurrency) as client:
            ctx = AuditContext(target, options, client)
            await ctx.prepare()
            runs = await execute(ctx, [by_id()[case_id]])
        judge_runs(runs, JudgeContext(markers=ctx.markers, login_path=target.login_path))
        return runs

    return asyncio.run(run())


def test_identity_headers_naming_a_non_ascii_principal_are_sent_and_refused(server: EmbeddedServer) -> None:
    target = dataclasses.replace(
        embedded_target(server), principal=Principal("José", PASSWORD), token=access_token(server)
    )
    runs = run_case(target, "proxy-identity-headers", "new", "proxy")
    assert {run.tier for run in runs} == {"new", "proxy"}
    answers = [item.observation for run in runs for item in run.probes]
    assert [seen.status for seen in answers if isinstance(seen, HttpObservation)] == [401, 401, 401, 401]
    assert [item.violations for run in runs for item in run.probes] == [[], [], [], []]


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

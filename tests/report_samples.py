"""Run results for reporter tests: a realistic failing run (the reference server's purchase
``html_content`` payloads included) and a synthetic large one for size bounds."""

from __future__ import annotations

from chatmigrate.compare.meaning import normalise_block
from chatmigrate.noise import ignore_block
from chatmigrate.records import (
    AuditResult,
    EndpointParity,
    Finding,
    LatencyStat,
    MatrixCell,
    NoisePath,
    PrincipalRow,
    RuleLedger,
    RunResult,
    TargetInfo,
    Verdict,
)
from chatmigrate.verdict import GateLimits, decide
from chatmigrate.vocab import AuditState, Check, FindingKind, Severity, Tier

SCRIPT_PAYLOAD = '<b>Gold pack</b><script>window.__pwned = "script"</script>'
ONERROR_PAYLOAD = "<img src=x onerror=\"window.__pwned = 'onerror'\"> Diamond bundle"
PURCHASES = "GET /admin/chat/ [purchases_list]"
MESSAGES = "GET /admin/chat/ [recent_messages]"
CHAT_LIST = "GET /admin/chat/ [chat_list]"
LOGIN_PAGE = (
    "<!doctype html><html><head><title>Log in | Django site admin</title>"
    "<script>window.__pwned = 'login'</script></head><body><form method=post>"
    "<input type=hidden name=csrfmiddlewaretoken value=[REDACTED]></form></body></html>"
)


def audit_result(
    case_id: str, group: str, tier: str, description: str, state: AuditState, status: int | None, detail: str = ""
) -> AuditResult:
    """An audit result whose ``passed`` agrees with its state, as the audit records it."""
    return AuditResult(case_id, group, tier, description, state is AuditState.PASS, status, detail, state=state)


def purchase(item_id: int, html_content: str) -> dict[str, object]:
    return {
        "id": item_id,
        "chatroom_id": 1,
        "player_id": 1001,
        "item": "Gold pack",
        "amount": 4.99,
        "currency": "USD",
        "status": "completed",
        "html_content": html_content,
        "timestamp": "2026-01-05T10:00:00Z",
    }


def message(item_id: int, text: str) -> dict[str, object]:
    return {
        "id": item_id,
        "chatroom_id": 1,
        "sender": "player",
        "sender_id": 1001,
        "sender_name": "Player 1001",
        "message": text,
        "timestamp": "2026-01-05T10:00:00Z",
        "is_read": True,
    }


def failing_run() -> RunResult:
    """What a gate against a drifted, flawed new tier produces: parity breaks, an auth hole, noise."""
    purchases = [purchase(12, SCRIPT_PAYLOAD), purchase(11, ONERROR_PAYLOAD)]
    old_body = {
        "status": "success",
        "request_type": "purchases_list",
        "chatroom_id": 1,
        "messages": purchases,
        "count": 2,
        "has_more": False,
    }
    new_body = {
        "status": "success",
        "request_type": "purchases_list",
        "chatroom_id": 1,
        "purchases": purchases,
        "count": 2,
        "has_more": False,
    }
    findings = [
        Finding(
            Check.BODY,
            Severity.HIGH,
            "key removed on new: /messages",
            "purchases-room-1",
            PURCHASES,
            path="/messages",
            kind=FindingKind.KEY_REMOVED,
            tier=Tier.NEW,
            old=old_body,
            new=new_body,
        ),
        Finding(
            Check.BODY,
            Severity.LOW,
            "key added on new: /purchases",
            "purchases-room-1",
            PURCHASES,
            path="/purchases",
            kind=FindingKind.KEY_ADDED,
            tier=Tier.NEW,
            old=old_body,
            new=new_body,
        ),
        Finding(
            Check.BODY,
            Severity.HIGH,
            "key removed on new: /messages/0/message",
            "messages-room-1",
            MESSAGES,
            path="/messages/0/message",
            kind=FindingKind.KEY_REMOVED,
            tier=Tier.NEW,
            old="hi there",
            new=None,
        ),
        Finding(
            Check.JSON,
            Severity.HIGH,
            "HTML page instead of JSON on new",
            "unknown-room",
            "GET /admin/chat/ [recent_messages]",
            kind=FindingKind.HTML,
            variant="404",
            tier=Tier.NEW,
            evidence=LOGIN_PAGE,
        ),
        Finding(
            Check.AUTH_OUTCOME,
            Severity.MEDIUM,
            "status 404 on old, 400 on new",
            "unknown-room",
            MESSAGES,
            kind=FindingKind.STATUS_CHANGED,
            variant="404->400",
            tier=Tier.NEW,
            old=404,
            new=400,
        ),
        Finding(
            Check.JSON,
            Severity.INFO,
            "legacy redirects to the login page",
            "chat-list",
            CHAT_LIST,
            kind=FindingKind.LOGIN_REDIRECT,
            variant="302",
            tier=Tier.OLD,
        ),
        Finding(
            Check.AUDIT,
            Severity.CRITICAL,
            "expired token accepted: data returned",
            "expired-token",
            MESSAGES,
            kind=FindingKind.DATA_RETURNED,
            tier=Tier.NEW,
            probes=1,
            reproducer="curl -H 'Authorization: Bearer [REDACTED]' "
            "'http://127.0.0.1:8001/api/v1/admin/chat/?chatroom_id=1'",
        ),
        Finding(
            Check.LATENCY,
            Severity.MEDIUM,
            "p95 latency 3.1x old",
            CHAT_LIST,
            CHAT_LIST,
            kind=FindingKind.P95,
            tier=Tier.NEW,
        ),
    ]
    return RunResult(
        tool_version="0.1.0",
        started_at="2026-11-26T23:00:00Z",
        finished_at="2026-11-26T23:00:09Z",
        targets=[
            TargetInfo("old", "http://127.0.0.1:8001", "session", "admin"),
            TargetInfo("new", "http://127.0.0.1:8001", "token-endpoint", "admin"),
        ],
        warnings=["new: 1 response took longer than 2 s"],
        entries=["messages-room-1", "purchases-room-1", "chat-list", "unknown-room", "messages-room-2"],
        findings=findings,
        noise=[
            NoisePath(
                MESSAGES,
                "/generated_at",
                "old",
                ["2026-11-26T23:00:01Z", "2026-11-26T23:00:02Z"],
                ignore_block("/generated_at", MESSAGES),
            ),
            NoisePath(MESSAGES, "/request_id", "new", ["5f0c9a", "77ab10"], ignore_block("/request_id", MESSAGES)),
        ],
        rules=[
            RuleLedger("/generated_at", "timestamp of the response", None, 14),
            RuleLedger("/messages/*/avatar_url", "CDN host differs per region", MESSAGES, 0),
        ],
        latency=[
            LatencyStat(MESSAGES, "old", 10, 12.5, 20.1),
            LatencyStat(MESSAGES, "new", 10, 9.1, 14.0),
            LatencyStat(CHAT_LIST, "old", 4, 8.0, 11.0),
            LatencyStat(CHAT_LIST, "new", 4, 21.0, 34.0),
            LatencyStat(PURCHASES, "old", 4, 10.0, 15.0),
            LatencyStat(PURCHASES, "new", 4, 11.0, 16.0),
        ],
        endpoints=[
            EndpointParity(MESSAGES, 3, 1, 2),
            EndpointParity(PURCHASES, 1, 0, 1),
            EndpointParity(CHAT_LIST, 1, 1, 0),
        ],
        audit=[
            audit_result("missing-header", "header", "new", "no Authorization header", AuditState.PASS, 401),
            audit_result("missing-header", "header", "proxy", "no Authorization header", AuditState.PASS, 401),
            audit_result("expired-token", "claims", "new", "token past exp", AuditState.FAIL, 200, "data returned"),
            audit_result("expired-token", "claims", "proxy", "token past exp", AuditState.PASS, 401),
            audit_result("no-session", "legacy", "old", "no sessionid cookie", AuditState.PASS, 302),
            audit_result(
                "no-session",
                "legacy",
                "new",
                "no sessionid cookie",
                AuditState.NOT_APPLICABLE,
                None,
                "not-applicable: no sessions",
            ),
        ],
        stale_baseline=["0123456789abcdef"],
        verdict=decide(findings, GateLimits()),
    )


def large_run(findings: int = 5_000, endpoints: int = 2_000) -> RunResult:
    """A run the size a 100k-exchange replay gives: thousands of findings and endpoints; most findings
    carry the differing values, every tenth whole 50-message bodies and a 20 kB HTML page."""
    body = {"status": "success", "messages": [message(i, "x" * 40 + SCRIPT_PAYLOAD) for i in range(50)]}
    names = [f"GET /admin/chat/{n}/ [recent_messages]" for n in range(endpoints)]
    severities = list(Severity)

    def finding(n: int) -> Finding:
        whole = n % 10 == 0
        return Finding(
            Check.BODY,
            severities[n % len(severities)],
            f"value changed: $.messages[{n % 50}].message",
            f"entry-{n}",
            names[n % endpoints],
            path=f"$.messages[{n % 50}].message",
            kind=FindingKind.VALUE_CHANGED,
            tier=Tier.NEW,
            old=body if whole else message(n % 50, "old " + SCRIPT_PAYLOAD),
            new=body if whole else message(n % 50, "new " + ONERROR_PAYLOAD),
            evidence=("<html>" + "y" * 20_000) if whole else None,
        )

    return RunResult(
        tool_version="0.1.0",
        started_at="2026-11-26T23:00:00Z",
        finished_at="2026-11-26T23:30:00Z",
        entries=[f"entry-{n}" for n in range(findings)],
        findings=[finding(n) for n in range(findings)],
        latency=[
            LatencyStat(name, side, 20, 10.0 + n % 7, 30.0 + n % 11)
            for n, name in enumerate(names)
            for side in ("old", "new")
        ],
        endpoints=[EndpointParity(name, 50, 45, 5) for name in names],
        verdict=Verdict(False, 1, "too many findings"),
    )


def same_meaning_finding(path: str = "$.messages[*].timestamp") -> Finding:
    """A body finding of form, not meaning, carrying the block that accepts it, as the compare stage writes it."""
    return Finding(
        Check.BODY,
        Severity.MEDIUM,
        f"{path} is the same instant written differently on new (in 3 entries)",
        "messages-room-1",
        MESSAGES,
        path=path,
        kind=FindingKind.SAME_INSTANT,
        tier=Tier.NEW,
        old="2026-01-05T10:00:00+00:00",
        new="2026-01-05T10:00:00Z",
        entries=["messages-room-1", "messages-room-2", "messages-room-3"],
        accept_toml=normalise_block(FindingKind.SAME_INSTANT, path, MESSAGES),
    )


def accepting_run(path: str = "$.messages[*].timestamp") -> RunResult:
    """The failing run plus a same-meaning finding that can be accepted."""
    run = failing_run()
    run.findings.append(same_meaning_finding(path))
    return run


def matrix_run(configured: str = "admin") -> RunResult:
    """A run whose principal matrix has a clean row, a row refused at login, and a row new grants more."""
    cell = MatrixCell
    rows = [
        PrincipalRow(configured, [cell(Tier.OLD, granted=31, other=8), cell(Tier.NEW, granted=31, other=8)]),
        PrincipalRow("anonymous", [cell(Tier.OLD, refused=39), cell(Tier.NEW, refused=39)]),
        PrincipalRow(
            "viewer",
            [cell(Tier.OLD, refused=39, refused_at_login=True), cell(Tier.NEW, granted=31, other=8, grants_more=31)],
        ),
    ]
    return RunResult("0.1.0", "2026-12-04T21:00:00Z", principals=rows)

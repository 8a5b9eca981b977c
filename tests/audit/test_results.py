"""How the audit records its results: each case and tier has a state, and records never copy chat data or tokens."""

from __future__ import annotations

import pytest

from chatmigrate.audit import embedded_target
from chatmigrate.audit.catalogue import CASES
from chatmigrate.audit.contract import ContractFailure, ContractOutcome
from chatmigrate.audit.engine import CaseRun
from chatmigrate.audit.findings import contract_records, mutation_records, result_of
from chatmigrate.audit.forge import TokenNote
from chatmigrate.audit.mutate import Mutant, MutationOutcome
from chatmigrate.audit.probe import Expect
from chatmigrate.audit.target import AuditTarget
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import AuditState

MESSAGE = "I can't log in on mobile"
SCHEMA_FAILURE = (
    '"shop" is a required property\n\nValidated against the response schema for status code 200.\n\n'
    'Schema:\n\n    {\n        "required": [\n            "shop"\n        ],\n        "type": "object"\n    }\n\n'
    'Value:\n\n    {\n        "chatroom_id": 1,\n        "messages": [\n            {\n'
    f'                "message": "{MESSAGE}",\n        // Output truncated...\n    }}'
)
TYPE_FAILURE = (
    f'"{MESSAGE}" is not of type "integer"\n\nSchema:\n\n    {{"type": "integer"}}\n\nValue:\n\n    "{MESSAGE}"'
)


@pytest.fixture
def target(server: EmbeddedServer) -> AuditTarget:
    return embedded_target(server)


def failure(message: str = "Received: text/html", curl: str = "curl -X GET 'http://x/'") -> ContractFailure:
    return ContractFailure("content_type_conformance", "GET /api/v1/admin/chat/", "Undocumented", message, curl)


def test_a_case_that_cannot_apply_to_its_tier_is_not_applicable_and_not_passed() -> None:
    result = result_of(CaseRun(CASES[0], "new", not_applicable="needs the signing secret"))
    assert result.state is AuditState.NOT_APPLICABLE and not result.passed
    assert result.detail == "not-applicable: needs the signing secret"


def test_a_contract_run_schemathesis_cannot_load_is_not_applicable(target: AuditTarget) -> None:
    result, findings = contract_records(ContractOutcome(errors=["contract run skipped: bad document"]), target, {})
    assert result.state is AuditState.NOT_APPLICABLE and not result.passed and findings == []


def test_a_mutant_found_but_not_reproduced_is_reported_so_with_its_shape(target: AuditTarget) -> None:
    note = TokenNote("none", header={"alg": "none"}, shape="3 segments")
    mutant = Mutant("eyJ.forged.token", "alg", "alg none", Expect.REFUSED, note)
    result, findings = mutation_records(MutationOutcome(30, 7, 30, mutant=mutant, violations=[]), target, {})
    assert result.state is AuditState.FAIL and findings == []
    assert "found, not reproduced on re-send" in result.detail and "every answer safe" not in result.detail
    assert "shape 3 segments" in result.detail and "eyJ.forged.token" not in result.detail


def test_a_mutation_search_that_found_nothing_passes(target: AuditTarget) -> None:
    result, _ = mutation_records(MutationOutcome(30, 7, 30), target, {})
    assert result.state is AuditState.PASS and result.detail == "30 examples, seed 7: every answer safe"


def test_contract_evidence_describes_the_response_by_shape(target: AuditTarget) -> None:
    _, (finding,) = contract_records(ContractOutcome(1, 1, [failure(SCHEMA_FAILURE)]), target, {})
    assert MESSAGE not in (finding.evidence or "")
    assert "Value: JSON object with chatroom_id, messages (cut short by schemathesis)" in (finding.evidence or "")
    assert '"shop" is a required property' in (finding.evidence or "")


def test_contract_evidence_keeps_no_quoted_value_the_schema_does_not_hold(target: AuditTarget) -> None:
    _, (finding,) = contract_records(ContractOutcome(1, 1, [failure(TYPE_FAILURE)]), target, {})
    assert MESSAGE not in (finding.evidence or "")
    assert (finding.evidence or "").startswith(f'<string of {len(MESSAGE)} characters> is not of type "integer"')


@pytest.mark.parametrize(
    "header",
    [
        "-H 'Authorization: [Filtered]'",
        "-H 'authorization: Bearer abc.def.ghi'",
        "--header 'Authorization: Bearer it'\"'\"'s'",
        '-H "Authorization: Bearer abc"',
    ],
)
def test_any_authorization_header_in_a_contract_reproducer_becomes_the_token_placeholder(
    target: AuditTarget, header: str
) -> None:
    curl = f"curl -X GET {header} -H 'Accept: application/json' 'http://x/api/v1/admin/chat/'"
    _, (finding,) = contract_records(ContractOutcome(1, 1, [failure(curl=curl)]), target, {"abc.def.ghi": "TOKEN"})
    assert '-H "Authorization: Bearer $TOKEN"' in (finding.reproducer or "")
    assert header not in (finding.reproducer or "") and "-H 'Accept: application/json'" in (finding.reproducer or "")

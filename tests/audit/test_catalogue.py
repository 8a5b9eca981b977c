"""The catalogue as documentation: named, grouped, complete, one line each."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chatmigrate.audit.catalogue import CASES, GENERATED, Case, Group, by_id, catalogue_as_data, listing
from chatmigrate.audit.catalogue.standards import reference_url
from chatmigrate.audit.target import TIERS

MINIMUM = 62


def test_every_case_of_the_minimum_catalogue_is_carried() -> None:
    covered = {int(number) for case in CASES for number in re.findall(r"catalogue #(\d+)", case.ref)}
    assert covered == set(range(1, MINIMUM + 1))


def test_case_ids_are_unique_and_stable_slugs() -> None:
    ids = [case.id for case in (*CASES, *GENERATED)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", case_id) for case_id in ids)


def test_case_ids_start_with_their_group_prefix() -> None:
    prefixes = {
        "header": "hdr-",
        "signature": "sig-",
        "claims": "claim-",
        "legacy": "legacy-",
        "websocket": "ws-",
        "proxy": "proxy-",
        "operations": "op-",
        "persistence": "persist-",
        "lifecycle": "life-",
        "client": "client-",
    }
    assert all(case.id.startswith(prefixes[case.group]) for case in CASES)


def test_every_case_documents_what_it_sends_and_expects() -> None:
    for case in (*CASES, *GENERATED):
        assert case.description and case.sends and case.expects, case.id
        assert case.group in Group, case.id
        assert set(case.tiers) <= set(TIERS), case.id


def test_header_signature_and_claims_cases_run_on_the_jwt_and_proxy_tiers() -> None:
    for case in CASES:
        if case.group in ("header", "signature", "claims"):
            assert case.tiers == ("new", "proxy"), case.id


def test_only_persistence_and_the_cases_that_change_accounts_run_last() -> None:
    assert [case.id for case in CASES if case.last] == [
        "life-refresh-after-deactivation",
        "life-access-after-deactivation",
        "life-login-throttle",
        "persist-valid-credentials",
    ]


def test_listing_prints_one_line_per_case_with_its_id_group_and_tiers() -> None:
    lines = listing()
    assert len(lines) == len(CASES) + len(GENERATED)
    first = lines[0].split()
    assert first[:3] == ["hdr-no-authorization", "header", "new,proxy"]
    assert all("\n" not in line for line in lines)


def test_every_case_names_the_standards_it_tests_against() -> None:
    for case in (*CASES, *GENERATED):
        assert case.tags, case.id
        assert len(set(case.tags)) == len(case.tags), case.id


def test_every_tag_is_a_known_standards_item() -> None:
    tags = {tag for case in (*CASES, *GENERATED) for tag in case.tags}
    known = re.compile(r"RFC \d+ §[\d.]+|WSTG-[A-Z]+-\d+|OWASP API\d+:2023|CWE-\d+|CVE-\d{4}-\d+")
    assert [tag for tag in tags if not known.fullmatch(tag)] == []
    assert [tag for tag in tags if not tag.startswith("WSTG-") and reference_url(tag) is None] == []


def test_the_catalogue_as_data_is_plain_json_with_every_case_and_its_tags() -> None:
    data = catalogue_as_data()
    assert json.loads(json.dumps(data)) == data
    assert [item["id"] for item in data] == [case.id for case in (*CASES, *GENERATED)]
    alg_none = next(item for item in data if item["id"] == "sig-alg-none-variants")
    assert alg_none["tiers"] == ["new", "proxy"] and "CVE-2015-9235" in alg_none["tags"]


def test_cases_are_found_by_id() -> None:
    assert by_id()["sig-alg-none-variants"].group == "signature"
    assert by_id()["mutate-token"].group == "mutation"


def markdown_row(case: Case) -> str:
    """The case as a row of docs/audit.md's table: id, tiers, what it checks, sends, safe outcome, standards, source."""
    cells = [
        f"`{case.id}`",
        ", ".join(case.tiers),
        case.description,
        case.sends,
        case.expects,
        ", ".join(case.tags),
        case.ref,
    ]
    escaped = [cell.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|") for cell in cells]
    return "| " + " | ".join(escaped) + " |"


def user_documentation() -> str:
    return (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()


def test_the_user_documentation_has_exactly_one_row_per_case_as_the_catalogue_says() -> None:
    cases_section = user_documentation().partition("\n## Cases\n")[2].partition("\n## Standards coverage\n")[0]
    documented = [line for line in cases_section.splitlines() if line.startswith("| `")]
    assert sorted(documented) == sorted(markdown_row(case) for case in (*CASES, *GENERATED))


def test_the_standards_coverage_table_lists_each_item_with_exactly_the_cases_tagged_with_it() -> None:
    section = user_documentation().partition("\n## Standards coverage\n")[2]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and " | `" in line]
    documented = {
        re.sub(r"^\| \[?([^\]]+?)\]?(\(.*\))?$", r"\1", item): set(re.findall(r"`([^`]+)`", ids)) for item, ids in rows
    }
    tagged: dict[str, set[str]] = {}
    for case in (*CASES, *GENERATED):
        for tag in case.tags:
            tagged.setdefault(tag, set()).add(case.id)
    assert documented == tagged

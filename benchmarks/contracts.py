"""How fast the schema check is on conformant and on violating bodies, against python-jsonschema's
explanation measured in the same run.

    python benchmarks/contracts.py [--seconds 1]

A conformant body is judged by jsonschema-rs alone. A violating one used to be explained by
python-jsonschema (against the branch its ``request_type`` names); it is now explained by
jsonschema-rs in python-jsonschema's words. Each shape prints both timings, their ratio and
whether the lines are the same. Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from typing import Any

from compare import chat_list_response, drifted, messages_response, purchases_response
from jsonschema import Draft202012Validator

from chatmigrate.contracts import OpenApiContract, describe, tier_contract, validate_response

CHAT = "/api/v1/admin/chat/"
BRANCHES = {
    "recent_messages": "RecentMessagesResponse",
    "purchases_list": "PurchasesListResponse",
    "chat_list": "ChatListResponse",
}


def per_call_ms(function: Callable[[], Any], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while True:
        function()
        done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / done * 1000


def explained_by_jsonschema(contract: OpenApiContract) -> Callable[[dict[str, Any]], list[str]]:
    """The previous explanation: python-jsonschema against the named branch, else the whole response schema."""
    validators = {
        tag: Draft202012Validator(
            {"$ref": f"{contract.uri}#/components/schemas/{name}"},
            registry=contract.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for tag, name in BRANCHES.items()
    }
    whole = Draft202012Validator(
        {"$ref": f"{contract.uri}#/components/schemas/ChatReadResponse"},
        registry=contract.registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )

    def explain(body: dict[str, Any]) -> list[str]:
        found = describe(validators[body["request_type"]].iter_errors(body)) if body["request_type"] in BRANCHES else []
        return found or describe(whole.iter_errors(body))

    return explain


def shapes() -> dict[str, dict[str, Any]]:
    every_id_a_string = messages_response(3, 50)
    for message in every_id_a_string["messages"]:
        message["id"] = str(message["id"])
    amounts_as_floats = purchases_response(3, 50)
    for purchase in amounts_as_floats["messages"]:
        purchase["amount"] = float(purchase["amount"])
    missing_keys = chat_list_response(40)
    for chat in missing_keys["chats"][::2]:
        del chat["username"]
    return {
        "one bool served as an int (50 messages)": drifted(messages_response(3, 50)),
        "every id a string (50 messages)": every_id_a_string,
        "every amount a float (50 purchases)": amounts_as_floats,
        "a key missing on 20 of 40 chats": missing_keys,
        "an unknown request_type (50 messages)": {**messages_response(3, 50), "request_type": "everything"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per measurement")
    args = parser.parse_args()

    start = time.perf_counter()
    contract = tier_contract("jwt")
    print(f"loading and checking the built-in JWT document: {(time.perf_counter() - start) * 1000:.1f} ms")

    conformant = messages_response(3, 50)
    ours = per_call_ms(lambda: validate_response("jwt", "GET", CHAT, 200, conformant), args.seconds)
    print(f"conformant 50-message body: {ours:.3f} ms (jsonschema-rs only)\n")

    baseline = explained_by_jsonschema(contract)
    print("violating bodies: python-jsonschema's explanation (before) vs validate_response (now)")
    for name, body in shapes().items():
        frozen = copy.deepcopy(body)
        now = validate_response("jwt", "GET", CHAT, 200, frozen)
        same = "same lines" if now == baseline(frozen) else "LINES DIFFER"
        before_ms = per_call_ms(lambda frozen=frozen: baseline(frozen), args.seconds)
        now_ms = per_call_ms(lambda frozen=frozen: validate_response("jwt", "GET", CHAT, 200, frozen), args.seconds)
        print(
            f"  {name:<40} before {before_ms:7.3f} ms   now {now_ms:7.3f} ms   "
            f"ratio {before_ms / now_ms:6.1f}x   {same}"
        )
        print(f"    {now[0]}")
    drift = drifted(messages_response(3, 50))
    before_s = per_call_ms(lambda: baseline(drift), args.seconds) * 25_000 / 1000
    now_s = per_call_ms(lambda: validate_response("jwt", "GET", CHAT, 200, drift), args.seconds) * 25_000 / 1000
    print(f"\na drift on 25,000 entries (one bad field per body): {before_s:.0f} s before, {now_s:.1f} s now")


if __name__ == "__main__":
    main()

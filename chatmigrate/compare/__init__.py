"""Parity checks over recorded exchanges: each corpus entry's old response against new (and proxy).

The modules, one concept each: ``outcome`` (what kind of answer a response is), ``answers`` (the JSON and
auth-outcome checks, legacy judged as legacy), ``body`` (the typed body diff), ``meaning`` (same-meaning
differences and their normalisers), ``schema`` (each side against its contract), ``latency``, ``book`` (findings
counted across entries), ``exchanges`` (reading exchanges.jsonl), ``run`` (the two passes) and ``comparison``
(what it hands back; what it is told is ``config.CompareOptions``).
"""

from chatmigrate.compare.answers import check_json, check_outcome
from chatmigrate.compare.body import check_body
from chatmigrate.compare.comparison import Comparison
from chatmigrate.compare.exchanges import group_exchanges, read_exchanges
from chatmigrate.compare.latency import check_latency
from chatmigrate.compare.meaning import NormaliseRule, NormaliseSpec, same_meaning
from chatmigrate.compare.outcome import classify, is_json_type
from chatmigrate.compare.run import compare_exchanges, compare_file
from chatmigrate.compare.schema import check_schema
from chatmigrate.config import CompareOptions, SchemaCheck

__all__ = [
    "CompareOptions",
    "Comparison",
    "NormaliseRule",
    "NormaliseSpec",
    "SchemaCheck",
    "check_body",
    "check_json",
    "check_latency",
    "check_outcome",
    "check_schema",
    "classify",
    "compare_exchanges",
    "compare_file",
    "group_exchanges",
    "is_json_type",
    "read_exchanges",
    "same_meaning",
]

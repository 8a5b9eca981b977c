"""The user's own contract the OpenAPI tests load: templated paths and a neighbouring file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contract_samples import USER_DOCUMENT


@pytest.fixture
def user_contract(tmp_path: Path) -> Path:
    (tmp_path / "item.json").write_text(
        json.dumps({"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}})
    )
    document = tmp_path / "shop.yaml"
    document.write_text(USER_DOCUMENT)
    return document

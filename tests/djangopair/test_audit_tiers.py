"""``chatmigrate audit --target proxy`` on a pair with no proxy: exit 2 and one line, never a pass of nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import cli
from djangopair.pair import DjangoSite
from djangopair.pairconfig import write_config

from chatmigrate.vocab import ExitCode


@pytest.mark.parametrize(("tier", "section"), [("proxy", "[targets.proxy]"), ("ws", "[ws] url")])
def test_auditing_a_tier_the_config_does_not_have_is_exit_2_with_one_line(
    django_site: DjangoSite,
    django_corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tier: str,
    section: str,
) -> None:
    config = write_config(django_site, django_corpus, tmp_path)
    code, _out, err = cli(["audit", "--config", str(config), "--target", tier, "--budget", "0"], capsys)
    assert (code, err.count("\n")) == (ExitCode.USAGE, 1)
    assert f"--target {tier}: no such tier is configured" in err and section in err

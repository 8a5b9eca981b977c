"""A real Django + DRF + simplejwt pair (and a variant with planted differences), one process each per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from djangopair.pair import DjangoSite, running_sites
from djangopair.pairconfig import ADMIN

from chatmigrate.auth import SessionAuth
from chatmigrate.corpus import dump_corpus, generate_corpus


@pytest.fixture(scope="session")
def django_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DjangoSite, DjangoSite]]:
    with running_sites(tmp_path_factory.mktemp("djangopair")) as sites:
        yield sites


@pytest.fixture(scope="session")
def django_site(django_sites: tuple[DjangoSite, DjangoSite]) -> DjangoSite:
    """The clean pair: the legacy admin view and the JWT API of one stock Django site."""
    return django_sites[0]


@pytest.fixture(scope="session")
def django_variant(django_sites: tuple[DjangoSite, DjangoSite]) -> DjangoSite:
    """The same site with differences planted in its JWT API (``CHATSITE_VARIANT=1``)."""
    return django_sites[1]


@pytest.fixture(scope="session")
def django_corpus(django_site: DjangoSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus ``corpus generate --from-server`` writes for the clean site; the variant shares its seed."""
    path = tmp_path_factory.mktemp("djangopair-corpus") / "corpus.yaml"
    auth = SessionAuth(django_site.base_url, ADMIN, django_site.password)
    dump_corpus(generate_corpus(django_site.base_url, auth), path)
    return path

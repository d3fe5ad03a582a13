"""Settings shared by every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gridmodel.network.listing import ENV_CACHE


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the catalog listing's rows and the compiled grids out of the user's cache folder."""
    patch = pytest.MonkeyPatch()
    patch.setenv(ENV_CACHE, str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()

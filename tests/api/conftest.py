"""The public service on the real test databases, through FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from core.db import Databases
from core.settings import load_settings
from tests.support.widget import NOW, WidgetWorld, rebuild


@pytest.fixture
def world(module_databases: Databases) -> WidgetWorld:
    return rebuild(module_databases)


@pytest.fixture
def client(world: WidgetWorld) -> Iterator[TestClient]:
    settings = ApiSettings(core=load_settings(env={}), version_ttl=0)
    app = create_app(db=world.db, settings=settings, clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client

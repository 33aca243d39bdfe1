"""bench/wsclient.py against a real atlas server: the map's fills over Streamlit's protocol."""

import sys

import pytest

from tests.harness import N_STATES, REPO_ROOT, free_port, streamlit_server
from tests.helpers import run_async

sys.path.insert(0, str(REPO_ROOT / "bench"))
from wsclient import ProtocolError, Session, signature  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with streamlit_server("app.py", launcher="layers.server") as running:
        yield running


def test_sector_changes_map_and_back(server):
    async def changes():
        session = Session(server.url)
        await session.open()
        default = dict(session.fills)
        seen = {}
        for sectors in (["Automotive"], [], ["ICT"], []):
            timing = await session.change(sectors)
            assert timing["map_ms"] is not None
            seen[tuple(sectors)] = signature(session.fills)
        await session.close()
        return default, seen

    default, seen = run_async(changes())
    assert len(default) == N_STATES
    assert seen[()] == signature(default)
    assert len({seen[()], seen[("Automotive",)], seen[("ICT",)]}) == 3


def test_closed_server_is_a_clear_error():
    with pytest.raises(ProtocolError, match="cannot GET"):
        run_async(Session(f"http://127.0.0.1:{free_port()}/", timeout=5).open())

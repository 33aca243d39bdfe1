"""A minimal Streamlit client over Streamlit's own websocket protocol (no browser): one asyncio
task per session, many sessions in one process. bench/balance_load.py drives its capacity ramp
and replica-kill test with it (issue 14).

A session GETs the page first (so a balancer's ATLAS affinity cookie is set as for a browser),
opens `/_stcore/stream` with those cookies (permessage-deflate, as a browser negotiates), sends
the initial `rerun_script` and reads ForwardMsgs until `script_finished`. The map is the
streamlit-folium component instance (`MAP_COMPONENT`: the page has one); its
`feature_group` arg holds `window.atlas.states(group, {...})`, whose JSON options carry
`view.fills` (state code -> colour): the map's signature is those fills in state-code order.
Cacheable messages are kept and their hashes sent with each rerun, as the frontend does, so
`ref_hash` messages are resolved from the cache.

Streamlit 1.67 serves with Starlette/uvicorn: tornado is no longer installed; `websockets` is a
Streamlit dependency.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

# st_folium's component (its instance id ends in a hash of the args, not in basemap.MAP_KEY)
MAP_COMPONENT = "streamlit_folium.st_folium"
SECTORS_KEY = "sectors"
STATES_CALL = "window.atlas.states("
MAX_CACHED_AGE = 2  # Streamlit's global.maxCachedMessageAge: runs a cached message survives unused


class ProtocolError(RuntimeError):
    """The server or the connection did not behave as a Streamlit app serving the atlas."""


def map_fills(json_args: str) -> dict[str, str]:
    """State code -> fill colour from the st_folium component's JSON args."""
    groups = json.loads(json_args).get("feature_group", "")
    start = groups.find(STATES_CALL)
    if start < 0:
        raise ProtocolError("the map's args hold no atlas.states call")
    brace = groups.find("{", start)
    options, _ = json.JSONDecoder().raw_decode(groups, brace)
    return options["view"]["fills"]


def signature(fills: dict[str, str]) -> str:
    return ",".join(fills[code] for code in sorted(fills))


class Session:
    """One viewer: `await open(query)`, then `await change(sectors)`; `fills` is the map's last."""

    def __init__(self, url: str, *, timeout: float = 60):
        self.url, self.timeout = url.rstrip("/") + "/", timeout
        self.cookies = CookieJar()
        self.ws = None
        self.query = ""
        self.fills: dict[str, str] | None = None
        self.widget_ids: dict[str, str] = {}
        self._cache: dict[str, list] = {}  # hash -> [msg, last run used]
        self._runs = 0

    async def open(self, query: str = "") -> float:
        """GET the page, connect, run the script once; ms from GET to script finished."""
        t0 = time.monotonic()
        await asyncio.to_thread(self._get, self.url + (f"?{query}" if query else ""))
        parts = urlsplit(self.url)
        ws_url = f"ws://{parts.netloc}{parts.path}_stcore/stream"
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        try:
            self.ws = await connect(
                ws_url,
                subprotocols=["streamlit"],
                additional_headers={"Cookie": cookie} if cookie else {},
                origin=f"http://{parts.netloc}",
                max_size=None,
                open_timeout=self.timeout,
            )
        except (TimeoutError, OSError) as error:
            raise ProtocolError(f"cannot open {ws_url}: {error}") from None
        self.query = query
        await self.rerun([])
        return (time.monotonic() - t0) * 1000

    def _get(self, url: str) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        try:
            with opener.open(url, timeout=self.timeout) as response:
                response.read()
        except OSError as error:
            raise ProtocolError(f"cannot GET {url}: {error}") from None

    async def change(self, sectors: list[str]) -> dict:
        """Set the sector multiselect; ms to the map's new args and to script finished."""
        if SECTORS_KEY not in self.widget_ids:
            raise ProtocolError("the page has no sectors multiselect")
        return await self.rerun(sectors)

    async def rerun(self, sectors: list[str] | None) -> dict:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.context_info.locale = "en-US"
        state.context_info.timezone = "UTC"
        state.context_info.url = self.url + (f"?{self.query}" if self.query else "")
        state.cached_message_hashes.extend(self._cache)
        if sectors is not None and SECTORS_KEY in self.widget_ids:
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[SECTORS_KEY]
            widget.string_array_value.data.extend(sectors)
        t0 = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        map_ms = None
        while True:
            forward = await self._receive()
            kind = forward.WhichOneof("type")
            if kind == "delta" and self._read_delta(forward):
                map_ms = (time.monotonic() - t0) * 1000
            elif kind == "page_info_changed":
                self.query = forward.page_info_changed.query_string
            elif kind == "script_finished":
                status = forward.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                self._age_cache()
                if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise ProtocolError(f"script finished with status {status}")
                return {"map_ms": map_ms, "finished_ms": (time.monotonic() - t0) * 1000}

    async def _receive(self) -> ForwardMsg:
        try:
            data = await asyncio.wait_for(self.ws.recv(), self.timeout)
        except Exception as error:
            raise ProtocolError(f"connection lost: {type(error).__name__}: {error}") from None
        forward = ForwardMsg()
        forward.ParseFromString(data)
        if forward.WhichOneof("type") == "ref_hash":
            entry = self._cache.get(forward.ref_hash)
            if entry is None:
                raise ProtocolError(f"server referred to an uncached message {forward.ref_hash}")
            entry[1] = self._runs
            return entry[0]
        if forward.metadata.cacheable:
            self._cache[forward.hash] = [forward, self._runs]
        return forward

    def _age_cache(self) -> None:
        self._runs += 1
        for key in [k for k, (_, used) in self._cache.items() if self._runs - used > MAX_CACHED_AGE]:
            del self._cache[key]

    def _read_delta(self, forward: ForwardMsg) -> bool:
        """Note widget ids and the map's fills; whether this delta is the map."""
        if forward.delta.WhichOneof("type") != "new_element":
            return False
        element = forward.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "multiselect" and element.multiselect.id.endswith(f"-{SECTORS_KEY}"):
            self.widget_ids[SECTORS_KEY] = element.multiselect.id
        elif kind == "component_instance" and element.component_instance.component_name == MAP_COMPONENT:
            self.fills = map_fills(element.component_instance.json_args)
            return True
        return False

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

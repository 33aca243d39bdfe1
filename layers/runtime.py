"""How a data layer calls the atlas's map runtime (`layers/static/atlas-runtime.js`).

The runtime is a real JS file that the base map loads once when it mounts (`layers.basemap.AtlasMap`
declares it). Each data layer is a FeatureGroup holding one `AtlasCall`, which st_folium sends on
every rerun: `atlas.<function>(<the group>, <options>)`, the options one JSON object whose names the
runtime file's header documents. The runtime draws from static files fetched once per page, so a
call carries only what changed.

Escaping contract: every data string a layer sends (names, sectors, places, sources...) is already
HTML-escaped in Python. The runtime only concatenates those strings with fixed markup and numbers.
"""

from __future__ import annotations

import json

from folium.elements import MacroElement
from folium.template import Template

# Runtime function -> the option names it takes (all required).
FUNCTIONS = {
    "states": ("src", "view", "layer", "show"),
    "outline": ("src", "style"),
    "markers": ("src", "selection", "kind", "size", "clusterOptions", "layer", "minZoom", "show", "large", "words"),
    "tiles": ("url", "attribution", "maxNativeZoom"),
}
_JS_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
     "\u2028": "\\u2028", "\u2029": "\\u2029"}
)  # fmt: skip


class AtlasCall(MacroElement):
    """`var x = window.atlas.<function>(<parent FeatureGroup>, {<options>});`, in a FeatureGroup.

    The options are compact JSON with `<`, `>`, `&`, `'` and the two JS line separators written as
    \\u escapes, so no value can end the script or the string it sits in.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = window.atlas.{{ this.function }}(
            {{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, **options):
        super().__init__()
        if function not in FUNCTIONS:
            raise ValueError(f"Unknown atlas runtime function {function!r}; use one of: {', '.join(FUNCTIONS)}.")
        if set(options) != set(FUNCTIONS[function]):
            expected = ", ".join(FUNCTIONS[function])
            raise ValueError(f"atlas.{function} takes the options {expected}; got {', '.join(sorted(options))}.")
        self._name = f"atlas_{function}"
        self.function = function
        self.options = safe_json(options)


def safe_json(value) -> str:
    """Compact JSON that is safe inside an HTML <script> and any JS string context."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).translate(_JS_UNSAFE)

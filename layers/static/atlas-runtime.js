/*
 * The atlas's map runtime: loaded once when the map mounts (the base map declares this file),
 * then called by every data layer st_folium swaps in. Each layer ships only what changed (fill
 * colour and counts per state, which records are visible); geometry and the records table are
 * static files fetched once per page and kept in memory.
 *
 * Call protocol (layers/runtime.py `AtlasCall` writes these calls; options are one JSON object):
 *   atlas.states(group, {src, view, layer, show})
 *                                             states polygons from the GeoJSON at `src`, styled
 *                                             and tooltipped by `view` (layers/choropleth.py),
 *                                             with their abbreviations as labels; the selected
 *                                             state outlined above everything and brought into view,
 *                                             the compared states (`view.compared`) outlined dashed
 *   atlas.outline(group, {src, style})        a non-interactive outline from the GeoJSON at `src`
 *   atlas.markers(group, {src, selection, kind, size, clusterOptions, layer, minZoom, show, large})
 *                                             clustered markers of one kind from the table at
 *                                             `src`; `selection` = [start, stop, base64 bitmask
 *                                             or null] (layers/markers.py); shown from `minZoom`.
 *                                             `src` may be the table itself with a `key` naming
 *                                             it (a user's file: kind "upload", never published);
 *                                             `large`: the table is binary (layers/points.py) and
 *                                             its points are grouped per screen cell by
 *                                             atlas-points-worker.js and drawn on one canvas
 *   atlas.tiles(group, {url, attribution, maxNativeZoom})
 *                                             an online basemap, as a data layer (the base map
 *                                             stays the same, so switching keeps the view)
 * `layer` is the group's name in the layer control: a layer the user unticked stays off when
 * st_folium swaps in the next run's groups. `show` true/false switches it on/off (a presenter's
 * scene decides), null leaves it as the user set it.
 * Pure helpers, also used by the tests: atlas.stateTip(view, id), atlas.popup(table, row, words),
 * atlas.fillWords(html, words).
 * atlas.stats[kind] says what the last markers call drew (the bench and tests read it), and
 * atlas.stats.step what the last step (a year slider's move or a sector tap) repainted ({control,
 * value, at, drawn, byUser, count, fills}: watchSteps), atlas.stats.legend the page legend it last
 * redrew ({value, rows}: stepLegend),
 * atlas.stats.states when the last states call arrived (and its step and tap values);
 * atlas.pointsBusy() whether a large layer still waits for its worker.
 * Every map created after this file loads focuses without scrolling the page (keepScroll),
 * remembers which layers the user switched off (rememberLayers), keeps its area in the page's
 * URL (holdView) and has a "Copy link" button. Every word shown comes from the states call's
 * `view.msg` (the page's language) and numbers are formatted for `view.locale`; the popups'
 * words come with each markers call (`words`: the URL of the language's published {msg, locale},
 * layers/markers.py popup_words, or those words themselves for a user's file).
 *
 * Escaping contract: every data string a layer sends is already HTML-escaped in Python; this
 * file only concatenates those strings with fixed markup and numbers.
 */
(function () {
  "use strict";
  if (window.atlas) { return; }
  var cache = {};

  // Call fn(data) with a URL's JSON once it has loaded (fetched once per page).
  function withData(src, fn) {
    if (typeof src !== "string") { fn(src); return; }  // a table sent with the run (a user's file)
    var entry = cache[src];
    if (!entry) {
      entry = cache[src] = {data: null, waiting: []};
      fetch(src, {credentials: "same-origin"})
        .then(function (r) {
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (data) {
          entry.data = data;
          entry.waiting.splice(0).forEach(function (f) { f(data); });
        })
        .catch(function (err) {
          delete cache[src];
          console.error("atlas: cannot load " + src, err);
        });
    }
    if (entry.data) { fn(entry.data); } else { entry.waiting.push(fn); }
  }

  function bitmask(b64) {
    if (b64 === null) { return null; }
    var s = atob(b64), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); }
    return a;
  }

  // Words come from the page's language: `v.msg` holds the catalogue's templates (geo/locales,
  // keys in layers/choropleth.py RUNTIME_MESSAGES, already HTML-escaped), `v.locale` its tag.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }
  function plural(v, key, n, values) {
    var form = new Intl.PluralRules(v.locale).select(n) === "one" ? "one" : "other";
    return fill(v.msg[key + "." + form], values);
  }
  function count(v, n) {
    return (n === null || n === undefined) ? v.msg["tip.nodata"] : Number(n).toLocaleString(v.locale);
  }

  // The marker table is the same in every language: its words are tokens
  // <w k="key" name="escaped value" other.k="key of a value"></w> (layers/markers.py), filled
  // here from `words` ({msg, locale}); a token with a value `n` takes the key's plural form.
  var TOKEN = /<w k="([^"]+)"((?: [\w.]+="[^"]*")*)><\/w>/g, ATTR = / (\w+)(\.k)?="([^"]*)"/g;
  function fillWords(html, words) {
    if (!words) { return html.replace(TOKEN, "").trim(); }  // its words file has not arrived yet
    return html.replace(TOKEN, function (all, key, attrs) {
      var values = {}, refs = {}, m;
      ATTR.lastIndex = 0;
      while ((m = ATTR.exec(attrs)) !== null) { (m[2] ? refs : values)[m[1]] = m[3]; }
      Object.keys(refs).forEach(function (name) {
        if (Object.prototype.hasOwnProperty.call(words.msg, refs[name])) { values[name] = words.msg[refs[name]]; }
      });
      if (values.n !== undefined) {
        key += new Intl.PluralRules(words.locale).select(Number(values.n)) === "one" ? ".one" : ".other";
      }
      return fill(words.msg[key], values).trim();
    });
  }

  function stateTip(v, id) {
    var r = v.info[id];
    if (!r) { return null; }
    var html = '<div class="atlas-tip-title">' + r[0] + "</div>";
    if (v.metricLabel && r[5] !== undefined && r[5] !== null) {
      html += '<div class="atlas-tip-metric">' + v.metricLabel + ": " + r[5] + "</div>";
    }
    html += '<div class="atlas-tip-counts">' +
      fill(v.msg["tip.counts"], {clusters: count(v, r[1]), projects: count(v, r[2]), records: count(v, r[3])}) +
      "</div>";
    var shown = r[4].slice(0, v.maxSectors), rest = r[4].slice(v.maxSectors);
    if (shown.length) {
      html += '<ul class="atlas-tip-sectors">';
      for (var i = 0; i < shown.length; i++) {
        html += "<li>" + v.sectors[shown[i][0]] + ": " + count(v, shown[i][1]) + "</li>";
      }
      if (rest.length) {
        var more = rest.reduce(function (sum, item) { return sum + item[1]; }, 0);
        var records = plural(v, "tip.records", more, {count: count(v, more)});
        html += '<li class="atlas-tip-more">' +
          plural(v, "tip.more", rest.length, {sectors: count(v, rest.length), records: records}) + "</li>";
      }
      html += "</ul>";
    } else {
      html += '<div class="atlas-tip-none">' + v.none + "</div>";
    }
    return html;
  }

  function stateStyle(v, f) {
    var fill = v.fills[f.id];
    if (fill === undefined || fill === null) { return v.nodata; }
    return Object.assign({}, v.base, {fillColor: fill});
  }

  function setTip(l, tip) {
    if (!tip) { l.unbindTooltip(); }
    else if (l.getTooltip()) { l.setTooltipContent(tip); }
    else { l.bindTooltip(tip, {sticky: true, direction: "auto", className: "atlas-tip"}); }
  }

  // st_folium reports a click only when what it returns changes: a click number in the clicked
  // feature makes a second click on the same state (after choosing another one elsewhere) count.
  // A new properties object each time: st_folium keeps the one it sent last and compares with it.
  var clicks = 0;
  function countClick(e) {
    var f = e.target.feature;
    f.properties = Object.assign({}, f.properties, {click: ++clicks});
  }

  // Layers the user unticked in the layer control, by name. st_folium adds every new group to
  // the map; such a group is taken off again before the frame is painted.
  var hidden = {};
  function rememberLayers() {
    document.addEventListener("change", function (e) {
      var input = e.target;
      if (!input.matches || !input.matches(".leaflet-control-layers-overlays input")) { return; }
      var label = input.closest("label");
      if (label) { hidden[label.textContent.trim()] = !input.checked; }
    }, true);
  }
  function keepHidden(group, name, show) {
    if (!name) { return; }
    if (show === true || show === false) { hidden[name] = !show; }
    group.once("add", function () {
      var map = group._map;
      Promise.resolve().then(function () {
        if (hidden[name] && map.hasLayer(group)) { map.removeLayer(group); }
      });
    });
  }

  // The state polygons outlive the feature group they are drawn in:
  // st_folium replaces every group on each rerun, and re-drawing 32 polygons costs more than
  // re-colouring them. A new call re-styles the kept polygons in place; they stay on the map and
  // follow their latest group: off the map when it is (unticked in the layer control), back with it.
  var kept = {};

  function states(group, options) {
    var src = options.src, v = options.view;
    atlas.stats.states = {at: performance.now(), step: v.steps ? v.steps.current : null,
                          tap: v.steps && v.steps.taps ? v.steps.taps.current : null};
    speak(v);
    var k = kept[src];
    if (k) {
      k.v = v;
      k.layer.eachLayer(function (l) {
        l.setStyle(stateStyle(v, l.feature));
        setTip(l, stateTip(v, l.feature.id));
      });
    } else {
      k = {v: v, group: null, selected: null};
      k.layer = L.geoJson(null, {
        style: function (f) { return stateStyle(k.v, f); },
        onEachFeature: function (f, l) {
          setTip(l, stateTip(k.v, f.id));
          l.on({
            click: countClick,
            mouseover: function (e) { e.target.setStyle(k.v.highlight); },
            mouseout: function (e) { k.layer.resetStyle(e.target); }
          });
        }
      });
      kept[src] = k;
      withData(src, function (data) { k.layer.addData(data); });
    }
    watchSteps(k);
    follow(k, group);
    group.once("add", function () { holdView(group._map); });  // the app has just rewritten the URL
    keepHidden(group, options.layer, options.show);
    labels(group, src);
    if (v.selected !== null) {
      var selected = L.geoJson(null, {
        filter: function (f) { return f.id === v.selected; },
        style: function () { return v.selectedStyle; },
        interactive: false,
        pane: "atlasSelected"
      });
      selected.addTo(group);
      withData(src, function (data) {
        selected.addData(data);
        if (k.selected !== v.selected) { bringIntoView(group, selected); }
        k.selected = v.selected;
      });
    } else {
      k.selected = null;
    }
    if (v.compared && v.compared.length) {
      var compared = L.geoJson(null, {
        filter: function (f) { return v.compared.indexOf(f.id) >= 0; },
        style: function () { return v.comparedStyle; },
        interactive: false,
        pane: "atlasSelected"
      });
      compared.addTo(group);
      withData(src, function (data) { compared.addData(data); });
    }
    return k.layer;
  }

  // Year steps: a view's `steps` (layers/choropleth.py step_fills) hold the fills of the other
  // values of the page's year slider, and (`steps.taps`) of the sector selections one tap on the
  // page's sector multiselect reaches. When that slider moves under the user's pointer or keys (or,
  // in a playback, one step forward), or the user adds or removes a sector, the kept polygons are
  // re-coloured from them before the next frame, ahead of the server's run (which brings the
  // tooltips' numbers and repaints the same fills). The controls are in the page around this frame
  // (same origin, Streamlit's `st-key-<key>` class): one MutationObserver on the slider's thumbs
  // (range inputs: their value and aria-valuetext attributes follow the drag), one on the
  // multiselect's tags (`[data-tag]`, named by the sector's words), and the last input's time and
  // control (a dropdown's option belongs to the combobox whose `aria-controls` names its listbox).
  // A presenter's Shift+arrow keys step through the sectors from the same taps (keyTo).
  // Until the server's run, one control's steps only: the other's are for the old filters.
  var STEP_INPUT_MS = 1000, stepping = null, stepInput = {at: -Infinity, target: null, owner: null};
  function pageDocument() {  // the page around this frame; null when embedded elsewhere (the server repaints)
    try { return window.parent.document !== document ? window.parent.document : null; } catch (err) { return null; }
  }
  function controlOf(doc, target) {  // the st-key-<key> element a pointer or key press acted on
    var list = target.closest && target.closest("[role='listbox']");
    var combo = list && list.id && doc.querySelector("[aria-controls='" + CSS.escape(list.id) + "']");
    var from = combo || target;
    return (from.closest && from.closest("[class*='st-key-']")) || null;
  }
  function watchSteps(k) {
    stepping = k.v.steps ? k : null;
    if (stepping) {
      k.stepValue = k.v.steps.current;
      k.tapValue = k.v.steps.taps ? k.v.steps.taps.current : null;
      k.stepped = null;
      if (k.legendMoved) { redrawLegend(k.v.steps); k.legendMoved = false; }
    }
    var doc = pageDocument();
    if (stepping && doc) { watchTaps(doc, k.v.steps.taps); }
    if (!stepping || watchSteps.observer || !doc) { return; }
    var input = function (e) {  // a drag keeps the element it started on
      if (e.type !== "pointermove") {
        stepInput.target = e.target;
        stepInput.owner = controlOf(doc, e.target);
      } else if (!e.buttons) { return; }
      stepInput.at = performance.now();
    };
    ["pointerdown", "pointermove", "keydown"].forEach(function (type) { doc.addEventListener(type, input, true); });
    doc.addEventListener("keydown", function (e) { if (stepping) { keyTo(stepping, e); } }, true);
    watchSteps.observer = new MutationObserver(function (mutations) {
      if (!stepping) { return; }
      var selector = ".st-key-" + stepping.v.steps.slider;
      for (var i = 0; i < mutations.length; i++) {
        var box = mutations[i].target.closest && mutations[i].target.closest(selector);
        if (box) { stepTo(stepping, box); return; }
      }
    });
    watchSteps.observer.observe(doc.body, {attributes: true, attributeFilter: ["value", "aria-valuetext"], subtree: true});
  }
  function watchTaps(doc, taps) {  // the sector control's own subtree only: the page's other changes are not read
    var box = taps ? doc.querySelector(".st-key-" + taps.control) : null;
    if (box === watchTaps.box) { return; }
    watchTaps.observer = watchTaps.observer || new MutationObserver(function () {
      if (stepping && stepping.v.steps.taps && watchTaps.box) { tapTo(stepping, watchTaps.box); }
    });
    watchTaps.observer.disconnect();
    watchTaps.box = box;
    if (box) { watchTaps.observer.observe(box, {childList: true, subtree: true}); }
  }
  function byUserOn(box) {
    return (stepInput.owner === box || box.contains(stepInput.target)) && performance.now() - stepInput.at < STEP_INPUT_MS;
  }
  function stepTo(k, box) {
    var steps = k.v.steps, thumbs = box.querySelectorAll("input[type='range']"), values = [];
    for (var i = 0; i < thumbs.length; i++) { values.push(thumbs[i].value); }
    var value = values.join("-"), at = steps.values.indexOf(value), byUser = byUserOn(box);
    var next = steps.playing && at === steps.values.indexOf(k.stepValue) + 1;
    if (at < 0 || value === k.stepValue || !(byUser || next) || k.stepped === "taps") { return; }
    k.stepValue = value;
    k.stepped = "slider";
    paintStep(k, steps.pick[at], steps.titles && steps.titles[at], {control: steps.slider, value: value, byUser: byUser});
  }
  function tapTo(k, box) {  // a sector added or removed: its selection's key (geo.view.sector_key)
    var taps = k.v.steps.taps, places = {}, chosen = [], tags = box.querySelectorAll("[data-tag]");
    var words = document.createElement("textarea");  // view.sectors are HTML-escaped
    k.v.sectors.forEach(function (name, i) { words.innerHTML = name; places[words.value] = i; });
    for (var i = 0; i < tags.length; i++) {
      var place = places[tags[i].getAttribute("aria-label")];
      if (place === undefined) { return; }
      chosen.push(place);
    }
    chosen.sort(function (a, b) { return a - b; });
    var value = chosen.map(function (place) { return place.toString(36); }).join(""), at = taps.values.indexOf(value);
    if (at < 0 || value === k.tapValue || !byUserOn(box) || k.stepped === "slider") { return; }
    k.tapValue = value;
    k.stepped = "taps";
    paintStep(k, taps.pick[at], null, {control: taps.control, value: value, byUser: true});
  }
  // A presenter's Shift+<key> shortcut (app.py's stepping keys, `taps.keys`: the selection each
  // reaches). Streamlit's shortcuts fire for Shift with a named key wherever the focus is in the
  // page (not inside this frame: its keys never reach the page), as this listener does.
  function keyTo(k, e) {
    var taps = k.v.steps.taps, value = taps && taps.keys && e.shiftKey && !(e.ctrlKey || e.metaKey || e.altKey)
      && !e.repeat && taps.keys[e.key];
    var at = typeof value === "string" ? taps.values.indexOf(value) : -1;
    if (at < 0 || value === k.tapValue || k.stepped === "slider") { return; }
    k.tapValue = value;
    k.stepped = "taps";
    paintStep(k, taps.pick[at], null, {control: taps.control, value: value, byUser: true, key: e.key});
  }
  function paintStep(k, look, title, stat) {
    var steps = k.v.steps, n = steps.ids.length, codes = steps.fills.substr(look * n, n), fills = {};
    stat.at = performance.now();
    stat.count = (atlas.stats.step || {count: 0}).count + 1;
    steps.ids.forEach(function (id, j) {
      var c = codes.charAt(j);
      fills[id] = c === "-" ? null : steps.palette[parseInt(c, 36)];
    });
    k.v = Object.assign({}, k.v, {fills: fills});
    k.layer.eachLayer(function (l) { l.setStyle(stateStyle(k.v, l.feature)); });
    stepLegend(steps, look, title, stat.value);
    k.legendMoved = true;
    stat.drawn = performance.now();
    stat.fills = fills;
    atlas.stats.step = stat;
  }

  // The page's legend (layers/style.py legend_html, marked data-legend) follows a step: its title
  // (an export year's) and, where each step is classed alone, its class rows, rebuilt from the
  // zero row (kept as it is). Again at the next server run after a step (redrawLegend): Streamlit
  // leaves a legend element whose HTML did not change as it is, redrawn rows included, so it must
  // match the map.
  function redrawLegend(steps) {
    var at = steps.values.indexOf(steps.current);
    if (at >= 0) { stepLegend(steps, steps.pick[at], steps.titles && steps.titles[at], steps.current); }
  }
  function stepLegend(steps, look, title, value) {
    var doc = pageDocument(), legend = doc && doc.querySelector(".atlas-legend[data-legend='classes']");
    if (!legend) { return; }
    var legends = steps.legends, own = legends && legends.rows[look];
    if (title) { legend.firstElementChild.textContent = title; }
    if (!own) { return; }
    var list = legend.querySelector("ul"), zero = list.firstElementChild;
    while (zero.nextElementSibling) { list.removeChild(zero.nextElementSibling); }
    var row = function (color, label, dashed) {
      var li = zero.cloneNode(true), swatch = li.firstElementChild;
      swatch.style.background = color;
      swatch.classList.toggle("atlas-nodata", dashed);  // its dashed outline: atlas-page.css
      li.replaceChildren(swatch, doc.createTextNode(label));
      list.appendChild(li);
    };
    own[1].forEach(function (label, j) {  // a bound's place in parts, or two: "low–high"
      var words = typeof label === "number" ? legends.parts[label]
        : label.map(function (part) { return legends.parts[part]; }).join(legends.dash);
      row(steps.palette[parseInt(own[0].charAt(j), 36)], words, false);
    });
    if (own[2]) { row("#ffffff", legends.nodata, true); }
    atlas.stats.legend = {value: value, rows: list.children.length};
  }

  // A newly chosen state comes into view when less than all of it is on screen.
  function bringIntoView(group, layer) {
    var show = function () {
      var map = group._map, bounds = layer.getBounds();
      if (map && bounds.isValid() && !map.getBounds().contains(bounds)) {
        map.flyToBounds(bounds, {padding: [40, 40], maxZoom: Math.max(map.getZoom(), 7), duration: 0.6});
      }
    };
    if (group._map) { show(); } else { group.once("add", show); }
  }

  // State abbreviations at their label points (features' `abbr` and `label` [lat, lon]), in a
  // pane under the markers; they never take a click from the polygons.
  var labelLayers = {};
  function labels(group, src) {
    var layer = labelLayers[src];
    if (!layer) {
      layer = labelLayers[src] = L.layerGroup();
      withData(src, function (data) {
        data.features.forEach(function (f) {
          if (!f.properties.abbr || !f.properties.label) { return; }
          L.marker(f.properties.label, {
            icon: L.divIcon({className: "atlas-label", html: "<span>" + f.properties.abbr + "</span>",
                             iconSize: null}),
            interactive: false, keyboard: false, pane: "atlasLabels", atlasArea: f.properties.area
          }).addTo(layer);
        });
        if (layer._map) { declutter(layer._map, layer); }
      });
      layer.on("add", function () {
        var map = layer._map, tidy = function () { declutter(map, layer); };
        map.on("zoomend resize", tidy);
        layer.once("remove", function () { map.off("zoomend resize", tidy); });
        tidy();
      });
    }
    group.on("add", function () { if (!group._map.hasLayer(layer)) { group._map.addLayer(layer); } });
    group.on("remove", function () {
      var map = group._map;
      setTimeout(function () {
        var shown = false;
        map.eachLayer(function (l) { if (l !== group && l._atlasLabels === src) { shown = true; } });
        if (!shown && map.hasLayer(layer)) { map.removeLayer(layer); }
      }, 0);
    });
    group._atlasLabels = src;
  }

  // Kept polygons go on and off the map with `group`, the group that last drew them, and always
  // under the other layers (the selected state's outline, the country outline).
  function follow(k, group) {
    k.group = group;
    group.on("add", function () {
      if (k.group !== group) { return; }
      if (!group._map.hasLayer(k.layer)) { group._map.addLayer(k.layer); }
      k.layer.bringToBack();
    });
    group.on("remove", function () {
      var map = group._map;
      // st_folium removes the old groups just before it adds the new ones: wait and see.
      setTimeout(function () {
        if (k.group === group && map.hasLayer(k.layer)) { map.removeLayer(k.layer); }
      }, 0);
    });
  }

  function outline(group, options) {
    var src = options.src, style = options.style;
    var layer = L.geoJson(null, {style: function () { return style; }, interactive: false});
    layer.addTo(group);
    withData(src, function (data) { layer.addData(data); });
    return layer;
  }

  // At a state's anchor point (and in count bubbles) clusters sit a little left and projects a
  // little right, so they never hide each other; a pin at a known city stays exactly on it.
  var SHIFT = {cluster: 1, project: -1};
  function anchor(kind, size, gap) {
    return [size / 2 + (SHIFT[kind] || 0) * gap, size / 2];
  }

  var icons = {};
  function icon(kind, approx, size) {
    var key = kind + (approx ? "-approx" : "");
    if (!icons[key]) {
      icons[key] = L.divIcon({
        className: "atlas-pin atlas-pin-" + kind + (approx ? " atlas-pin-approx" : ""),
        html: '<div class="atlas-shape"></div>',
        iconSize: [size, size],
        iconAnchor: anchor(kind, size, approx ? size / 2 + 2 : 0)
      });
    }
    return icons[key];
  }

  function popup(t, i, words) {
    var p = t.parts, html = '<div class="atlas-popup"><h3>' + t.name[i] + "</h3>" +
      p[0].values[p[0].codes[i]] + "<dl>";
    for (var k = 1; k < p.length; k++) { html += p[k].values[p[k].codes[i]]; }
    return fillWords(html + "</dl></div>", words);
  }
  // The popups' words of the latest markers call (its `words`: the URL of the language's
  // published file, fetched once, or the words themselves): one page speaks one language, and a
  // popup opened after a language switch speaks the new one.
  var popupWords = null, wordsSrc = null;
  // An opened popup is panned into view below the map's top-right controls (layers, "Copy link"),
  // which Leaflet draws above popups.
  var POPUP_OPTIONS = {maxWidth: 460, minWidth: 280, autoPanPaddingTopLeft: [12, 190]};
  function useWords(src) {
    wordsSrc = src;
    withData(src, function (words) { if (wordsSrc === src) { popupWords = words; } });
  }

  function bubble(kind) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 40 : (n < 100 ? 48 : (n < 1000 ? 56 : 64));
      return L.divIcon({
        html: "<div><span>" + Number(n).toLocaleString(locale) + "</span></div>",
        className: "atlas-mc atlas-mc-" + kind,
        iconSize: L.point(size, size),
        iconAnchor: anchor(kind, size, size / 2 + 2)
      });
    };
  }

  // Tooltip and popup are bound on first hover / click: binding them up front costs more than
  // making the marker, and most of 100,000 markers are never touched.
  function onPin(e) {
    var m = e.layer;
    if (!m || m.atlasRow === undefined || m.getTooltip()) { return; }
    m.bindTooltip(function () { return fillWords(m.atlasTable.name[m.atlasRow], popupWords); },
                  {direction: "top", offset: [0, -(m.atlasSize / 2 + 2)]});
    m.bindPopup(function () { return popup(m.atlasTable, m.atlasRow, popupWords); }, POPUP_OPTIONS);
    if (e.type === "mouseover") { m.openTooltip(); } else { m.openPopup(); }
  }

  function build(cluster, t, selection, kind, size, stats) {
    // selection: null = every row, else [start, stop, base64 bitmask over those rows or null]
    var t0 = performance.now();
    var start = selection === null ? 0 : selection[0];
    var stop = selection === null ? t.lat.length : selection[1];
    var mask = selection === null ? null : bitmask(selection[2]), list = [];
    for (var i = start; i < stop; i++) {
      var j = i - start;
      if (mask !== null && !((mask[j >> 3] >> (j & 7)) & 1)) { continue; }
      var m = L.marker([t.lat[i], t.lon[i]], {icon: icon(kind, t.approx[i], size),
                                              riseOnHover: true});
      m.atlasTable = t; m.atlasRow = i; m.atlasSize = size;
      list.push(m);
    }
    stats.markers = list.length;
    stats.createMs = Math.round(performance.now() - t0);
    feed(cluster, list, stats);
  }

  // Cluster in slices of ~40 ms so the page stays responsive. (Leaflet.markercluster's own
  // chunkedLoading fails if the group leaves the map mid-way, which a quick filter change does.)
  // A group taken off the map pauses, and resumes if it is shown again (see `groups`).
  function feed(cluster, list, stats) {
    var i = 0, PIECE = 2500;
    (function next() {
      if (!cluster._map) {
        cluster.once("add", next);
        return;
      }
      var t = performance.now();
      while (i < list.length && performance.now() - t < 40) {
        cluster.addLayers(list.slice(i, i + PIECE));
        i += PIECE;
      }
      stats.longestSliceMs = Math.max(stats.longestSliceMs || 0,
                                      Math.round(performance.now() - t));
      if (i < list.length) { setTimeout(next, 0); return; }
      stats.doneMs = Math.round(performance.now() - stats.start);
    })();
  }

  // Clustering 100,000 markers takes seconds, and filters often come back to a previous choice
  // (all sectors, say): the last few clustered groups are kept and reused as they are.
  var groups = [], KEEP = 4;

  function markers(group, options) {
    useWords(options.words);
    if (options.large) { return points(group, options); }
    var src = options.src, selection = options.selection, kind = options.kind,
      size = options.size;
    keepHidden(group, options.layer, options.show);
    hideBelow(group, kind, options.minZoom);
    var key = JSON.stringify([typeof src === "string" ? src : src.key, selection, kind, size]);
    var stats = {kind: kind, reused: false, start: performance.now()};
    atlas.stats[kind] = stats;
    for (var g = 0; g < groups.length; g++) {
      if (groups[g].key === key) {
        var kept = groups.splice(g, 1)[0];
        groups.unshift(kept);
        stats.reused = true;
        stats.markers = kept.cluster.getLayers().length;
        kept.cluster.addTo(group);
        stats.doneMs = Math.round(performance.now() - stats.start);
        return kept.cluster;
      }
    }
    var cluster = L.markerClusterGroup(
      Object.assign({iconCreateFunction: bubble(kind)}, options.clusterOptions));
    cluster.on("mouseover click", onPin);
    cluster.addTo(group);
    groups.unshift({key: key, cluster: cluster});
    groups.splice(KEEP);
    withData(src, function (t) {
      // After the next frame, so the states' new fills paint first (a task queued with setTimeout
      // alone often runs before the browser paints); clustering then runs in chunks.
      requestAnimationFrame(function () {
        setTimeout(function () { build(cluster, t, selection, kind, size, stats); }, 0);
      });
    });
    return cluster;
  }

  // Below `minZoom` a kind's markers are hidden (a class on the map's container), so that at
  // national zoom every state, however small, takes its own hover and click.
  function hideBelow(group, kind, minZoom) {
    var update = function (map) {
      L.DomUtil[map.getZoom() < minZoom ? "addClass" : "removeClass"](
        map.getContainer(), "atlas-hide-" + kind);
    };
    var watch = function () {
      var map = group._map;
      if (map._atlasZoomWatch && map._atlasZoomWatch[kind]) { update(map); return; }
      map._atlasZoomWatch = Object.assign(map._atlasZoomWatch || {}, {[kind]: true});
      map.on("zoomend", function () { update(map); });
      update(map);
    };
    if (group._map) { watch(); } else { group.once("add", watch); }
  }

  // ------------------------------------------------------------------ large tables
  // Above layers/markers.py's LARGE_POINTS the table is binary (layers/points.py): a worker
  // (atlas-points-worker.js, one per table) groups the selected points per screen cell for the
  // current view, and the main thread only draws those few hundred symbols on one canvas per
  // kind. A filter change is a new bitmask for the worker; nothing is clustered on this thread.
  var WORKER_URL = (typeof document !== "undefined" && document.currentScript) ?
    document.currentScript.src.replace(/atlas-runtime\.js(\?[^#]*)?$/, "atlas-points-worker.js$1") : null;
  var CELL = 64, LIST = 8;  // cell size in pixels; rows a cell keeps for its popup at max zoom
  var BUBBLE = {cluster: "#fdd0a2", project: "#dadaeb"}, INK = "#1a1a1a";
  var workers = {}, pointLayerCount = 0, PointsLayer = null;

  function pointsWorker(src, t) {
    var w = workers[src];
    if (!w) {
      w = workers[src] = {worker: new Worker(WORKER_URL), layers: {}};
      w.worker.onmessage = function (e) {
        var layer = w.layers[e.data.id];
        if (layer) { layer.receive(e.data); }
      };
      w.worker.postMessage({type: "load", points: t.points, names: t.names, layout: t.layout});
    }
    return w;
  }

  function pointsBusy() {
    return Object.keys(workers).some(function (src) {
      var layers = workers[src].layers;
      return Object.keys(layers).some(function (id) {
        return layers[id]._map && layers[id].drawnSeq !== layers[id].seq;
      });
    });
  }

  function points(group, options) {
    keepHidden(group, options.layer, options.show);
    var stats = {kind: options.kind, large: true, reused: false, start: performance.now(), views: 0};
    atlas.stats[options.kind] = stats;
    var layer = new (pointsLayer())(options, stats);
    layer.addTo(group);
    return layer;
  }

  // The symbols of layers/style.py, drawn: a single point as its kind's square or diamond
  // (hollow when placed at the state's representative point), a group as a count bubble.
  function drawSymbol(ctx, kind, colour, x, y, n, approx, size) {
    ctx.lineWidth = 3;
    if (n === 1) {
      var h = size / 2 - 2;
      ctx.fillStyle = approx ? "#ffffff" : colour;
      ctx.strokeStyle = approx ? colour : INK;
      ctx.beginPath();
      if (kind === "cluster") { ctx.rect(x - h, y - h, 2 * h, 2 * h); }
      else { ctx.moveTo(x, y - h * 1.3); ctx.lineTo(x + h * 1.3, y); ctx.lineTo(x, y + h * 1.3); ctx.lineTo(x - h * 1.3, y); ctx.closePath(); }
      ctx.fill(); ctx.stroke();
      return h + 2;
    }
    var r = (n < 10 ? 40 : (n < 100 ? 48 : (n < 1000 ? 56 : 64))) / 2 - 4;
    ctx.fillStyle = BUBBLE[kind] || "#eeeeee";
    ctx.strokeStyle = colour;
    ctx.beginPath();
    if (kind === "cluster") { ctx.rect(x - r, y - r, 2 * r, 2 * r); } else { ctx.arc(x, y, r, 0, 2 * Math.PI); }
    ctx.fill(); ctx.stroke();
    ctx.fillStyle = "#111111";
    ctx.fillText(Number(n).toLocaleString("en"), x, y + 1);
    return r + 2;
  }

  function pointsLayer() {
    if (PointsLayer) { return PointsLayer; }
    PointsLayer = L.Layer.extend({
      initialize: function (options, stats) {
        this.o = options; this.stats = stats; this.items = [];
        this.seq = 0; this.drawnSeq = 0; this.asked = 0;
        this.id = ++pointLayerCount;
        this.range = options.selection.slice(0, 2);
        this.mask = bitmask(options.selection[2]);
      },
      onAdd: function (map) {
        var self = this;
        this.canvas = L.DomUtil.create("canvas", "atlas-points atlas-points-" + this.o.kind, map.getPane("atlasPoints"));
        this.canvas.style.pointerEvents = "none";  // only over a symbol (hover): the states keep their clicks
        L.DomEvent.disableClickPropagation(this.canvas);
        L.DomEvent.on(this.canvas, "click", this.click, this);
        map.on("moveend resize", this.request, this);
        map.on("zoomstart", this.hide, this);
        map.on("mousemove", this.hover, this);
        withData(this.o.src, function (t) {
          self.t = t;
          self.w = pointsWorker(self.o.src, t);
          self.w.layers[self.id] = self;
          if (self._map) { self.request(); }
        });
      },
      onRemove: function (map) {
        map.off("moveend resize", this.request, this);
        map.off("zoomstart", this.hide, this);
        map.off("mousemove", this.hover, this);
        L.DomUtil.remove(this.canvas);
        if (this.w) { delete this.w.layers[this.id]; }
      },
      hide: function () { this.canvas.style.display = "none"; this.items = []; },
      request: function () {
        var map = this._map;
        if (!map || !this.w) { return; }
        var zoom = Math.round(map.getZoom());
        this.seq++;
        if (zoom < this.o.minZoom) { this.draw(null); return; }
        var pb = map.getPixelBounds(), world = 256 * Math.pow(2, zoom);
        this.view = {zoom: zoom, world: world, t0: performance.now()};
        this.w.worker.postMessage({
          type: "view", id: this.id, seq: this.seq, start: this.range[0], stop: this.range[1],
          mask: this.mask, zoom: zoom, cell: CELL, list: LIST,
          box: [(pb.min.x - CELL) / world, (pb.min.y - CELL) / world, (pb.max.x + CELL) / world, (pb.max.y + CELL) / world]
        });
      },
      receive: function (m) {
        if (m.type === "error") {
          console.error("atlas: points worker: " + m.error);
          this.drawnSeq = this.seq;
          return;
        }
        if (m.type === "rows") { if (m.seq === this.asked) { this.showRows(m.rows); } return; }
        if (m.seq === this.seq) { this.draw(m); }
      },
      draw: function (m) {
        var map = this._map, c = this.canvas, size = map.getSize(), ratio = window.devicePixelRatio || 1;
        var t0 = performance.now();
        c.width = size.x * ratio; c.height = size.y * ratio;
        c.style.width = size.x + "px"; c.style.height = size.y + "px";
        L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
        c.style.display = "";
        var ctx = c.getContext("2d"), kind = this.o.kind;
        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
        ctx.font = "700 16px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        var colour = getComputedStyle(document.documentElement).getPropertyValue("--atlas-" + kind).trim() || INK;
        this.items = [];
        var shown = 0;
        if (m) {
          var min = map.getPixelBounds().min, world = this.view.world;
          for (var i = 0, k = 0; i < m.cells.length; i += 4, k++) {
            var n = m.cells[i + 2], approx = m.cells[i + 3];
            var gap = (n > 1 || approx) ? -(SHIFT[kind] || 0) * (n > 1 ? 14 : this.o.size / 2 + 2) : 0;
            var x = m.cells[i] * world - min.x + gap, y = m.cells[i + 1] * world - min.y;
            var r = drawSymbol(ctx, kind, colour, x, y, n, approx, this.o.size);
            this.items.push({x: x, y: y, r: r, n: n, at: [m.cells[i] * world, m.cells[i + 1] * world],
                             rows: Array.prototype.slice.call(m.rows, k * LIST, (k + 1) * LIST).filter(function (v) { return v >= 0; })});
            shown += n;
          }
        }
        this.drawnSeq = this.seq;
        var s = this.stats, now = performance.now();
        s.views++; s.cells = this.items.length; s.shown = shown; s.drawMs = Math.round(now - t0);
        if (m) {
          s.markers = m.total; s.workerMs = Math.round(m.ms); s.viewMs = Math.round(now - this.view.t0);
          if (s.doneMs === undefined) {
            s.doneMs = Math.round(now - s.start);
            s.doneAt = performance.timeOrigin + now;  // epoch ms, for the bench
          }
        }
        s.items = this.items.map(function (it) { return [Math.round(it.x), Math.round(it.y), it.n]; });
      },
      hit: function (point) {
        var best = null, bestD = Infinity;
        this.items.forEach(function (it) {
          var d = Math.max(Math.abs(point.x - it.x), Math.abs(point.y - it.y));
          if (d <= it.r && d < bestD) { best = it; bestD = d; }
        });
        return best;
      },
      hover: function (e) {
        var over = !!this.hit(e.containerPoint);
        this.canvas.style.pointerEvents = over ? "auto" : "none";
        this.canvas.style.cursor = over ? "pointer" : "";
      },
      click: function (e) {
        var map = this._map, item = this.hit(map.mouseEventToContainerPoint(e));
        if (!item) { return; }
        var latlng = map.unproject(item.at, this.view.zoom);
        if (item.n > 1 && map.getZoom() < map.getMaxZoom()) {
          map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
          return;
        }
        this.opened = {latlng: latlng, n: item.n};
        this.w.worker.postMessage({type: "rows", id: this.id, seq: ++this.asked, rows: item.rows});
      },
      // The popups of the clicked rows, from their codes and the table's escaped parts.
      showRows: function (rows) {
        var parts = this.t.parts, html = rows.map(function (r) {
          return popup({name: [r.name], parts: parts.map(function (p, k) {
            return {values: p.values, codes: [r.codes[k]]};
          })}, 0, popupWords);
        }).join("");
        if (this.opened.n > rows.length) {
          var more = Number(this.opened.n - rows.length).toLocaleString(popupWords ? popupWords.locale : locale);
          var template = popupWords ? popupWords.msg["popup.more"] : "+ {count}";
          html += '<div class="atlas-popup-more">' + fill(template, {count: more}) + "</div>";
        }
        L.popup(Object.assign({maxHeight: 420}, POPUP_OPTIONS)).setLatLng(this.opened.latlng)
          .setContent(html).openOn(this._map);
      }
    });
    return PointsLayer;
  }

  function tiles(group, options) {
    var layer = L.tileLayer(options.url, {
      attribution: options.attribution, maxNativeZoom: options.maxNativeZoom, maxZoom: 18
    });
    layer.addTo(group);
    return layer;
  }

  // Leaflet focuses the map on mousedown (for keyboard panning). With the map's iframe partly out
  // of view, that focus scrolls the page mid-click, the mouseup lands elsewhere and the click is
  // lost (a state is not selected, a count bubble does not open). Focus without scrolling.
  function keepScroll(map) {
    var box = map.getContainer(), focus = box.focus;
    box.focus = function (options) {
      return focus.call(box, Object.assign({preventScroll: true}, options));
    };
  }

  // A map with the `atlasFit` option (south-west and north-east corners) opens on that extent,
  // and fits it again whenever its frame is resized until someone moves it: the page sizes the
  // frame from the window after the map is made, and a link's own view moves it on purpose.
  function fitExtent(map) {
    var extent = map.options.atlasFit;
    if (!extent) { return; }
    var fitting = false;
    var fit = function () {
      fitting = true;
      map.fitBounds(extent, {padding: [8, 8], animate: false});
      fitting = false;
    };
    map._atlasFitted = true;  // the view is the fitted extent: a link needs no map area
    map.on("movestart", function () { if (!fitting) { map._atlasFitted = false; } });
    map.on("resize", function () { if (map._atlasFitted) { fit(); } });
    fit();
  }

  // Panes for what must sit between Leaflet's own: state labels above the polygons (400) and
  // under the markers (600); the selected state's outline above the markers, under tooltips (650).
  function makePanes(map) {
    map.createPane("atlasLabels").style.zIndex = 450;
    map.createPane("atlasPoints").style.zIndex = 610;
    map.createPane("atlasSelected").style.zIndex = 640;
  }

  // Leaflet measures its container once; the page resizes the frame (and so the container) with
  // the window. Measure again whenever it changes.
  function trackSize(map) {
    if (!window.ResizeObserver) { return; }
    new ResizeObserver(function () { map.invalidateSize(); }).observe(map.getContainer());  // keeps the centre
  }

  // Labels are placed smallest state first (a large state has room to move its label); a label
  // that would overlap one already placed tries
  // just above, below, right and left of its point, and is left out at this zoom only when all
  // of those overlap too. (All reads, then all writes: one layout, not one per label.)
  function declutter(map, layer) {
    var items = [];
    layer.eachLayer(function (m) {
      var el = m.getElement(), span = el && el.firstChild;
      if (span) { span.style.left = "0px"; span.style.top = "0px"; items.push({m: m, el: el, span: span}); }
    });
    items.sort(function (a, b) { return a.m.options.atlasArea - b.m.options.atlasArea; });
    var frame = map.getContainer().getBoundingClientRect();
    items.forEach(function (item) {
      var r = item.span.getBoundingClientRect();
      item.w = r.width + 4; item.h = r.height + 2;
      item.x = r.left - frame.left - 2; item.y = r.top - frame.top - 1;
    });
    var placed = [];
    var clashes = function (box) {
      return placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; });
    };
    items.forEach(function (item) {
      var w = item.w, h = item.h, chosen = null;
      [[0, 0], [0, -h], [0, h], [w * 0.6, 0], [-w * 0.6, 0]].some(function (off) {
        var box = [item.x + off[0], item.y + off[1], item.x + off[0] + w, item.y + off[1] + h];
        if (clashes(box)) { return false; }
        chosen = off; placed.push(box); return true;
      });
      item.chosen = chosen;
    });
    items.forEach(function (item) {
      item.el.style.visibility = item.chosen ? "" : "hidden";
      if (item.chosen) {
        item.span.style.left = item.chosen[0] + "px";
        item.span.style.top = item.chosen[1] + "px";
      }
    });
  }

  // The page's URL holds the map area too: after a pan or zoom (and after every run of the app,
  // which rewrites the URL from its widgets) `zoom` and `center` are set to what the map shows,
  // so a copied link reopens the same area. The map's frame is the app's own page (same origin).
  function parentUrl() {
    try { return new URL(window.parent.location.href); } catch (err) { return null; }
  }
  function viewUrl(map) {
    var url = parentUrl();
    if (!url) { return null; }
    if (map._atlasFitted) {  // all of Mexico, fitted to whatever screen opens the link
      url.searchParams.delete("zoom");
      url.searchParams.delete("center");
      return url;
    }
    var c = map.getCenter();
    url.searchParams.set("zoom", String(Math.round(map.getZoom())));
    url.searchParams.set("center", c.lat.toFixed(4) + "," + c.lng.toFixed(4));
    return url;
  }
  var urlTimer = null;
  function holdView(map) {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(function () {
      var url = viewUrl(map);
      if (url && url.href !== window.parent.location.href) {
        window.parent.history.replaceState(window.parent.history.state, "", url.href);
      }
    }, 400);
  }

  // "Copy link to this view": the page's link with the map area, to the clipboard (or shown, to
  // copy by hand, where the browser allows no clipboard, e.g. a plain-http LAN address).
  // Its words arrive with the first states layer (the map is made before any data layer) and
  // change with the page's language (`speak`); until then it is a bare link symbol.
  var words = null, locale = "en", buttons = [];
  function decoded(text) {  // the messages are HTML-escaped for markup; a button's text is not markup
    var area = document.createElement("textarea");
    area.innerHTML = text;
    return area.value;
  }
  function label(button) {
    button.title = words ? decoded(words["copy.title"]) : "";
    button.textContent = words ? decoded(words["copy.button"]) : "\ud83d\udd17";
  }
  function speak(v) {
    words = v.msg;
    locale = v.locale;
    buttons.forEach(label);
  }
  var CopyLink = window.L && L.Control.extend({
    options: {position: "topright"},
    onAdd: function (map) {
      var button = L.DomUtil.create("button", "atlas-copy-link");
      button.type = "button";
      label(button);
      buttons.push(button);
      L.DomEvent.disableClickPropagation(button);
      L.DomEvent.on(button, "click", function () {
        var url = viewUrl(map);
        if (!url) { return; }
        var prompt = words ? decoded(words["copy.prompt"]) : "";
        var done = function () { flash(button, words ? decoded(words["copy.done"]) : "\u2713"); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url.href).then(done, function () { window.prompt(prompt, url.href); });
        } else {
          window.prompt(prompt, url.href);
        }
      });
      return button;
    }
  });
  function flash(button, text) {
    button.textContent = text;
    setTimeout(function () { label(button); }, 1500);
  }

  if (window.L && L.Map) {
    L.Map.addInitHook(function () {
      var map = this;
      makePanes(map); keepScroll(map); trackSize(map); fitExtent(map);
      map.on("moveend", function () { holdView(map); });
      map.addControl(new CopyLink());
    });
    rememberLayers();
  }

  var atlas = window.atlas = {
    states: states, outline: outline, markers: markers, tiles: tiles,
    stateTip: stateTip, popup: popup, fillWords: fillWords, stats: {}, pointsBusy: pointsBusy
  };
})();

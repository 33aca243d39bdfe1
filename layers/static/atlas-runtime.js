/*
 * The atlas's map runtime: loaded once when the map mounts (the base map declares this file),
 * then called by every data layer st_folium swaps in. Each layer ships only what changed (fill
 * colour and counts per state, which records are visible); geometry and the records table are
 * static files fetched once per page and kept in memory.
 *
 * Call protocol (layers/runtime.py `AtlasCall` writes these calls; options are one JSON object):
 *   atlas.states(group, {src, view})          states polygons from the GeoJSON at `src`, styled
 *                                             and tooltipped by `view` (layers/choropleth.py)
 *   atlas.outline(group, {src, style})        a non-interactive outline from the GeoJSON at `src`
 *   atlas.markers(group, {src, selection, kind, size, clusterOptions})
 *                                             clustered markers of one kind from the table at
 *                                             `src`; `selection` = [start, stop, base64 bitmask
 *                                             or null] (layers/markers.py)
 * Pure helpers, also used by the tests: atlas.stateTip(view, id), atlas.popup(table, row).
 * Every map created after this file loads focuses without scrolling the page (keepScroll).
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

  function count(n) {
    return (n === null || n === undefined) ? "no data" : Number(n).toLocaleString("en");
  }

  function stateTip(v, id) {
    var r = v.info[id];
    if (!r) { return null; }
    var html = '<div class="atlas-tip-title">' + r[0] + "</div>" +
      '<div class="atlas-tip-counts">Clusters: ' + count(r[1]) + " \u00b7 Projects: " +
      count(r[2]) + " \u00b7 Records: " + count(r[3]) + "</div>";
    var shown = r[4].slice(0, v.maxSectors), rest = r[4].slice(v.maxSectors);
    if (shown.length) {
      html += '<ul class="atlas-tip-sectors">';
      for (var i = 0; i < shown.length; i++) {
        html += "<li>" + v.sectors[shown[i][0]] + ": " + count(shown[i][1]) + "</li>";
      }
      if (rest.length) {
        var more = rest.reduce(function (sum, item) { return sum + item[1]; }, 0);
        html += '<li class="atlas-tip-more">+ ' + rest.length + " more sector" +
          (rest.length > 1 ? "s" : "") + ": " + count(more) + (more === 1 ? " record" : " records") + "</li>";
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
    else { l.bindTooltip(tip, {sticky: true, className: "atlas-tip"}); }
  }

  // The state polygons outlive the feature group they are drawn in:
  // st_folium replaces every group on each rerun, and re-drawing 32 polygons costs more than
  // re-colouring them. A new call re-styles the kept polygons in place; they stay on the map and
  // follow their latest group: off the map when it is (unticked in the layer control), back with it.
  var kept = {};

  function states(group, options) {
    var src = options.src, v = options.view;
    var k = kept[src];
    if (k) {
      k.v = v;
      k.layer.eachLayer(function (l) {
        l.setStyle(stateStyle(v, l.feature));
        setTip(l, stateTip(v, l.feature.id));
      });
    } else {
      k = {v: v, group: null};
      k.layer = L.geoJson(null, {
        style: function (f) { return stateStyle(k.v, f); },
        onEachFeature: function (f, l) {
          setTip(l, stateTip(k.v, f.id));
          l.on({
            mouseover: function (e) { e.target.setStyle(k.v.highlight); },
            mouseout: function (e) { k.layer.resetStyle(e.target); }
          });
        }
      });
      kept[src] = k;
      withData(src, function (data) { k.layer.addData(data); });
    }
    follow(k, group);
    if (v.selected !== null) {
      var selected = L.geoJson(null, {
        filter: function (f) { return f.id === v.selected; },
        style: function () { return v.selectedStyle; },
        interactive: false
      });
      selected.addTo(group);
      withData(src, function (data) { selected.addData(data); });
    }
    return k.layer;
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

  function popup(t, i) {
    var p = t.parts, html = '<div class="atlas-popup"><h3>' + t.name[i] + "</h3>" +
      p[0].values[p[0].codes[i]] + "<dl>";
    for (var k = 1; k < p.length; k++) { html += p[k].values[p[k].codes[i]]; }
    return html + "</dl></div>";
  }

  function bubble(kind) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 40 : (n < 100 ? 48 : (n < 1000 ? 56 : 64));
      return L.divIcon({
        html: "<div><span>" + Number(n).toLocaleString("en") + "</span></div>",
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
    m.bindTooltip(m.atlasTable.name[m.atlasRow],
                  {direction: "top", offset: [0, -(m.atlasSize / 2 + 2)]});
    m.bindPopup(popup.bind(null, m.atlasTable, m.atlasRow), {maxWidth: 460, minWidth: 280});
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
    var src = options.src, selection = options.selection, kind = options.kind,
      size = options.size;
    var key = JSON.stringify([src, selection, kind, size]);
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

  // Leaflet focuses the map on mousedown (for keyboard panning). With the map's iframe partly out
  // of view, that focus scrolls the page mid-click, the mouseup lands elsewhere and the click is
  // lost (a state is not selected, a count bubble does not open). Focus without scrolling.
  function keepScroll(map) {
    var box = map.getContainer(), focus = box.focus;
    box.focus = function (options) {
      return focus.call(box, Object.assign({preventScroll: true}, options));
    };
  }

  if (window.L && L.Map) { L.Map.addInitHook(function () { keepScroll(this); }); }

  var atlas = window.atlas = {
    states: states, outline: outline, markers: markers,
    stateTip: stateTip, popup: popup, stats: {}
  };
})();

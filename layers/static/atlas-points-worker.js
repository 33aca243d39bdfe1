/*
 * The atlas's points worker: groups a large marker table's points (layers/points.py) per screen
 * cell for one view, off the page's main thread. One worker per table; the runtime's `points`
 * layer (atlas-runtime.js) talks to it with messages:
 *
 *   {type: "load", points, names, layout}   the table's binary files (URLs) and their layout
 *   {type: "view", id, seq, start, stop, mask, zoom, box: [x0, y0, x1, y1], cell, list}
 *       rows start..stop, those whose bit is set in `mask` (Uint8Array, little-endian bits over
 *       the range; null = all), grouped in square cells of `cell` pixels at `zoom`, within `box`
 *       (Web Mercator, 0..1 across the world); each cell keeps up to `list` of its rows.
 *     -> {type: "view", id, seq, total, cells: Float64Array [x, y, count, approx, ...], rows:
 *        Int32Array (`list` per cell, -1 padded), ms}; x, y the mean of the cell's points
 *   {type: "rows", id, seq, rows}   -> {type: "rows", id, seq, rows: [{row, name, codes}]}
 *       the escaped name and popup-part codes of those rows (names are fetched on first use)
 *
 * A cell's grid is fixed on the world (not on the view), so panning never regroups points.
 */
"use strict";

var table = null;      // a promise of {n, x, y, approx, codes}
var names = null;      // a promise of {offsets, text}
var namesUrl = null;

function mercator(lon, lat, x, y) {
  for (var i = 0; i < lon.length; i++) {
    x[i] = (lon[i] + 180) / 360;
    var s = Math.sin(lat[i] * Math.PI / 180);
    y[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
}

var TYPES = {float32: Float32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array};

function column(buffer, entry, n) {
  return new TYPES[entry[0]](buffer, entry[1], n);
}

function fetchBuffer(url) {
  return fetch(url, {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) { throw new Error("HTTP " + r.status + " for " + url); }
    return r.arrayBuffer();
  });
}

function load(message) {
  var layout = message.layout, n = layout.rows;
  namesUrl = message.names;
  table = fetchBuffer(message.points).then(function (buffer) {
    var x = new Float64Array(n), y = new Float64Array(n);
    mercator(column(buffer, layout.lon, n), column(buffer, layout.lat, n), x, y);
    return {
      n: n, x: x, y: y, approx: column(buffer, layout.approx, n),
      codes: layout.codes.map(function (entry) { return column(buffer, entry, n); })
    };
  });
}

function group(t, m) {
  var t0 = performance.now(), k = 256 * Math.pow(2, m.zoom) / m.cell;
  var cx0 = Math.floor(m.box[0] * k), cy0 = Math.floor(m.box[1] * k);
  var w = Math.floor(m.box[2] * k) - cx0 + 1, h = Math.floor(m.box[3] * k) - cy0 + 1;
  var count = new Int32Array(w * h), sx = new Float64Array(w * h), sy = new Float64Array(w * h);
  var list = m.list, rows = new Int32Array(w * h * list).fill(-1);
  var x0 = m.box[0], y0 = m.box[1], x1 = m.box[2], y1 = m.box[3];
  var X = t.x, Y = t.y, mask = m.mask, start = m.start, stop = Math.min(m.stop, t.n), total = 0;
  for (var i = start; i < stop; i++) {
    if (mask !== null) {
      var j = i - start;
      if (!((mask[j >> 3] >> (j & 7)) & 1)) { continue; }
    }
    total++;
    var x = X[i], y = Y[i];
    if (x < x0 || x >= x1 || y < y0 || y >= y1) { continue; }
    var c = (Math.floor(y * k) - cy0) * w + (Math.floor(x * k) - cx0);
    if (count[c] < list) { rows[c * list + count[c]] = i; }
    count[c]++; sx[c] += x; sy[c] += y;
  }
  var used = 0;
  for (c = 0; c < count.length; c++) { if (count[c]) { used++; } }
  var cells = new Float64Array(used * 4), kept = new Int32Array(used * list), o = 0;
  for (c = 0; c < count.length; c++) {
    if (!count[c]) { continue; }
    var first = rows[c * list];
    cells.set([sx[c] / count[c], sy[c] / count[c], count[c], count[c] === 1 ? t.approx[first] : 0], o * 4);
    kept.set(rows.subarray(c * list, (c + 1) * list), o * list);
    o++;
  }
  return {type: "view", id: m.id, seq: m.seq, total: total, cells: cells, rows: kept,
          ms: performance.now() - t0};
}

function loadNames() {
  if (!names) {
    names = fetchBuffer(namesUrl).then(function (buffer) {
      var n = new Uint32Array(buffer, 0, 1)[0];
      return {offsets: new Uint32Array(buffer, 4, n + 1), text: new Uint8Array(buffer, 4 * (n + 2))};
    });
  }
  return names;
}

function describe(t, nm, rows) {
  var decoder = new TextDecoder();
  return rows.map(function (row) {
    return {
      row: row,
      name: decoder.decode(nm.text.subarray(nm.offsets[row], nm.offsets[row + 1])),
      codes: t.codes.map(function (codes) { return codes[row]; })
    };
  });
}

self.onmessage = function (e) {
  var m = e.data;
  if (m.type === "load") { load(m); return; }
  var fail = function (err) { self.postMessage({type: "error", id: m.id, seq: m.seq, error: String(err)}); };
  table.then(function (t) {
    if (m.type === "view") {
      var out = group(t, m);
      self.postMessage(out, [out.cells.buffer, out.rows.buffer]);
    } else if (m.type === "rows") {
      loadNames().then(function (nm) {
        self.postMessage({type: "rows", id: m.id, seq: m.seq, rows: describe(t, nm, m.rows)});
      }).catch(fail);
    }
  }).catch(fail);
};

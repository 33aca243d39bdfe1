// The bench's in-page monitor. bench/monitor.py loads this file and installs it as an init script
// (it runs in every frame before the page's own scripts) as
//
//     (() => { <this file>; installMonitor(CONFIG); })();
//
// where CONFIG is a JSON object written by json.dumps, never code pasted into code:
//
//   map:            CSS selector of the st_folium iframe in the top page
//   polygon:        CSS selector of a state polygon inside that iframe
//   watch:          CSS selector of a text element to watch in the top page, or null
//   signaturePaths: how many polygons' `fill` attributes make up the signature
//   kind:           "map" (judge a state by polygon fills) or "text" (by the watched text)
//   polygons:       how many polygons a ready map shows
//
// In the top page it sets `window.__mon`; on every animation frame it reads the map iframe's
// polygons (count, and the fills of the first `signaturePaths` as a signature), the tag the bench
// puts on the iframe's window and the watched text, and logs a timestamped event whenever one of
// them changes. It also timestamps every websocket message and the user's last pointerdown. In
// every other frame it sets `window.__monFrame` (tag, pan/zoom, long tasks) and timestamps the
// `streamlit:render` messages that hand a component new arguments. All times are browser epoch
// milliseconds (performance.timeOrigin + performance.now()).
//
// Python calls only the methods below, e.g. page.evaluate("window.__mon.status()").

function installMonitor(config) {
  const KEEP = 4000;
  const now = () => performance.timeOrigin + performance.now();
  const push = (list, value) => {
    list.push(value);
    if (list.length > KEEP) list.splice(0, KEEP / 2);
  };

  if (window.top !== window) {
    installFrame();
  } else if (!window.__mon) {
    installTop();
  }

  function installFrame() {
    window.addEventListener('message', (e) => {
      const mon = window.top.__mon;
      if (mon && e.data && e.data.type === 'streamlit:render') push(mon.renders, now());
    });
    // Main-thread tasks over 50 ms in this frame (epoch start, duration), for the scale bench.
    const longtasks = [];
    if (window.PerformanceObserver && (PerformanceObserver.supportedEntryTypes || []).includes('longtask')) {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) push(longtasks, { t: performance.timeOrigin + e.startTime, d: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    }
    window.__monFrame = {
      longtasks,
      // Mark this window; a remounted iframe is a new window without the tag.
      setTag(tag) {
        window.__benchTag = tag;
      },
      // One step of Leaflet's map (`window.map`, set by streamlit-folium): {zoom: +-n} or
      // {pan: [dx, dy]}; resolves with ms until moveend, then until the atlas's large-points
      // layers have drawn the new view (atlas.pointsBusy), plus two frames.
      panZoom(step) {
        const map = window.map;
        const t0 = performance.now();
        const busy = () => !!window.atlas && !!window.atlas.pointsBusy && window.atlas.pointsBusy();
        const painted = (resolve) => {
          if (busy()) requestAnimationFrame(() => painted(resolve));
          else requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
        };
        const done = new Promise((resolve) => map.once('moveend', () => painted(resolve)));
        if (step.zoom) map.setZoom(map.getZoom() + step.zoom, { animate: false });
        else map.panBy(step.pan, { animate: false });
        return done;
      },
    };
  }

  function installTop() {
    const mon = {
      config,
      events: [],
      last: null,
      lastDown: null,
      frames: 0,
      ws: [],
      renders: [],

      // Whether an event (default: the latest) shows a ready page.
      isReady(e = mon.last) {
        if (!e) return false;
        return config.kind === 'text' ? e.text !== null : e.count >= config.polygons;
      },
      // Whether an event (default: the latest) shows `expected` (a fills signature or a text).
      shows(expected, e = mon.last) {
        if (!e) return false;
        return config.kind === 'text' ? e.text === expected : e.sig === expected && e.count >= config.polygons;
      },
      tagged(tag) {
        return !!mon.last && mon.last.tag === tag;
      },
      // ms from navigation start to the first ready frame.
      firstReadyAt() {
        return mon.events.find((e) => mon.isReady(e)).t - performance.timeOrigin;
      },
      // Epoch ms of the first frame at or after t0 that shows `expected`.
      firstShownAt(t0, expected) {
        return mon.events.find((e) => e.t >= t0 && mon.shows(expected, e)).t;
      },
      // The events from the one on screen at t0 onwards.
      eventsFrom(t0) {
        let i = mon.events.length - 1;
        while (i > 0 && mon.events[i].t > t0) i--;
        return mon.events.slice(i);
      },
      // Websocket message and component render times within [a, b].
      between(a, b) {
        const within = (t) => t >= a && t <= b;
        return { ws: mon.ws.filter(within), renders: mon.renders.filter(within) };
      },
      // Streamlit's script and connection state, and what the page shows now.
      status() {
        const app = document.querySelector('[data-testid="stApp"]');
        const last = mon.last;
        return {
          idle: !!app && app.getAttribute('data-test-script-state') !== 'running',
          connected: !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED',
          sinceChange: last ? now() - last.t : 0,
          last,
          ready: mon.isReady(last),
          errors: document.querySelectorAll('[data-testid="stException"]').length,
        };
      },
    };
    window.__mon = mon;

    const NativeWebSocket = window.WebSocket;
    window.WebSocket = class extends NativeWebSocket {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', () => push(mon.ws, now()));
      }
    };
    document.addEventListener(
      'pointerdown',
      () => {
        mon.lastDown = now();
      },
      true,
    );

    function read() {
      let count = 0;
      let sig = '';
      let tag = null;
      let text = null;
      const iframe = document.querySelector(config.map);
      if (iframe) {
        let doc = null;
        try {
          doc = iframe.contentDocument;
        } catch (e) {}
        if (doc) {
          const paths = doc.querySelectorAll(config.polygon);
          count = paths.length;
          const fills = [];
          for (let i = 0; i < count && i < config.signaturePaths; i++) fills.push(paths[i].getAttribute('fill'));
          sig = fills.join(',');
          try {
            tag = iframe.contentWindow.__benchTag || null;
          } catch (e) {}
        }
      }
      if (config.watch) {
        const el = document.querySelector(config.watch);
        text = el ? el.textContent : null;
      }
      return { count, sig, tag, text };
    }

    function tick() {
      mon.frames++;
      const s = read();
      const l = mon.last;
      if (!l || l.count !== s.count || l.sig !== s.sig || l.tag !== s.tag || l.text !== s.text) {
        s.t = now();
        push(mon.events, s);
        mon.last = s;
      }
      requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  }
}

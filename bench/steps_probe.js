/*
 * bench/steps.py's clock in the atlas page (not the map's frame): epoch-ms times
 * (performance.timeOrigin + now, comparable with the frame's) of every animation frame, of
 * pointer and key input, and of each change of a slider's value label (the widget's own repaint,
 * what the map's repaint is compared with). Read with window.__steps.read().
 */
(function () {
  "use strict";
  var frames = [], inputs = [], labels = [];
  function epoch(t) { return performance.timeOrigin + t; }
  function tick() {  // when the frame's callbacks run: a change made before it is painted in it
    frames.push(epoch(performance.now()));
    if (frames.length > 20000) { frames.splice(0, 10000); }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
  ["pointerdown", "pointermove", "pointerup", "keydown"].forEach(function (type) {
    addEventListener(type, function (e) { inputs.push({type: type, at: epoch(e.timeStamp)}); }, true);
  });
  function watchLabels() {
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var node = mutations[i].target, el = node.nodeType === 1 ? node : node.parentElement;
        if (el && el.closest("[data-testid='stSliderThumbValue']")) {
          labels.push({at: epoch(performance.now()), text: el.closest("[data-testid='stSliderThumbValue']").textContent});
          return;
        }
      }
    }).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  }
  if (document.documentElement) { watchLabels(); } else { addEventListener("DOMContentLoaded", watchLabels); }
  window.__steps = {
    read: function () { return {frames: frames.slice(), inputs: inputs.slice(), labels: labels.slice()}; }
  };
})();

/*
 * Presenter mode's whole-page fullscreen (app.py draws it with st.html): a button marked
 * `data-atlas-fullscreen` puts the page (title, map and legend together) in fullscreen, or back.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-atlas-fullscreen]").forEach(function (button) {
    if (button.dataset.atlasWired) { return; }
    button.dataset.atlasWired = "1";
    button.addEventListener("click", function () {
      var page = document.documentElement;
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (page.requestFullscreen) { page.requestFullscreen(); }
    });
  });
})();

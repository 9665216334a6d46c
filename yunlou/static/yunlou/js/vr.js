// VR tour (VR看房): Pannellum with the project's scenes; hotspots and the room tabs move between scenes.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("tour-config").textContent);
  const viewer = pannellum.viewer("panorama", Object.assign({}, config, {
    escapeHTML: true, // titles and hotspot labels are staff-entered text: never let them become markup
    showControls: true,
    compass: false,
    mouseZoom: true,
    draggable: true,
  }));
  window.yunlouTour = viewer; // read by the browser tests and handy in the console

  const tabs = document.querySelectorAll("[data-scene]");
  function markCurrent(sceneId) {
    tabs.forEach(function (tab) {
      if (tab.dataset.scene === sceneId) tab.setAttribute("aria-current", "true");
      else tab.removeAttribute("aria-current");
    });
  }
  viewer.on("scenechange", markCurrent);
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      viewer.loadScene(tab.dataset.scene);
    });
  });
})();

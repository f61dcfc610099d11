"use strict";
// Starts Redoc on templates/drf_spectacular/redoc.html, under the page's Content-Security-Policy.
(function () {
  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(document.getElementById("redoc-settings").textContent);

  // Redoc's side menu ends with Redocly's logo from cdn.redoc.ly, and no option turns it off
  // (drf-spectacular-sidecar issue 11). An image starts loading the moment it is given a src, even
  // one the CSP then blocks, so no image here is given an http(s) src on another host: Redoc's React
  // sets the src property; setAttribute is the other way in. redoc_page.css hides the empty image.
  const onAnotherHost = (value) => {
    const url = new URL(String(value), document.baseURI);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin !== window.location.origin;
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      if (!onAnotherHost(value)) src.set.call(this, value);
    },
  });
  const setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && onAnotherHost(value)) return;
    setAttribute.call(this, name, value);
  };

  Redoc.init(container.dataset.schemaUrl, settings, container);
})();

// Progressive enhancement for the course search: on wide screens the filter panel starts open.
// Without JavaScript the panel is a plain <details> that opens with a click or Enter.
(function () {
  "use strict";
  var panel = document.getElementById("filter-panel");
  if (!panel || !window.matchMedia) {
    return;
  }
  if (window.matchMedia("(min-width: 64rem)").matches) {
    panel.open = true;
  }
})();

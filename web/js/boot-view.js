// Runs before the first paint (a classic script in <head>, not a module): marks <html>
// with the view the address asks for (`#view=planner`), so the page is first drawn in
// that view's layout (app.css `:root[data-view=…]`) instead of the caseworker's, and
// nothing moves when main.js takes over. The same values as url-state.js's VIEWS.
(function markView() {
  var match = /(?:^#|&)view=(caseworker|planner|donor|manage|coordination)(?:&|$)/.exec(window.location.hash);
  document.documentElement.setAttribute('data-view', match ? match[1] : 'caseworker');
}());

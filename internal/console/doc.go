// Package console is the people-ops web console: sign in (password or single
// sign-on), connect Justworks, sync now with live progress, the history of
// runs and what each changed, the org chart, and people and access.
//
// One page is one handler file and one template (templates/NAME.html, which
// defines "content" inside templates/layout.html); static files are embedded
// too. No JavaScript is needed: the one script (static/console.js) only polls
// a running sync's progress instead of reloading the page.
//
// Every request that does something is checked on the server against the
// signed-in user's level in the org, read from the store on each request,
// with the one access policy (internal/domain); hiding a button is only
// courtesy. Cross-site requests that change state are refused by
// http.CrossOriginProtection before any handler runs. See docs/security.md.
package console

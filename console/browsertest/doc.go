// Package browsertest drives the provisioning console (package
// github.com/scimkit/scim/console) in a real headless Chromium, from Go
// with chromedp: it creates a connection, copies its token, replays an
// identity provider's session with it, watches the users and a failed
// request appear, rotates and revokes the token and runs the check, and
// saves a screenshot of each page at desktop and phone widths into
// screenshots/.
//
// It is a module of its own so that the core module does not depend on
// chromedp. The test needs Chromium (Debian's package "chromium", at
// /usr/bin/chromium, or the path in $CHROMIUM); without it the test fails,
// unless SCIMKIT_BROWSER_TESTS=off says that browser tests are not wanted
// on this machine.
package browsertest

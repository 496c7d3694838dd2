"""The bench page: the virtual bench drawn in a browser, live, with the operator's hands.

`GET /` on the control endpoint serves a page (plain HTML, JavaScript and CSS
shipped in this package: no build step, no CDN) that draws the bench as the
bench profile describes it and follows the twin through `GET /events`
(server-sent events). Every action on the page is a request to the same JSON
endpoints scripts use (`POST /button`, `/wire`, `/faults`, `/reset`), so the
page adds no second way to change the bench.

| method | path | reply |
|---|---|---|
| GET | / (also /index.html), /app.js, /style.css, /favicon.svg | the page and its assets |
| GET | /bench | the drawing's facts: profile pins, bench wires, nets, fault catalogue |
| GET | /events | text/event-stream: `state` events (see `hil.sim.web.events`) |
"""

from hil.sim.web.routes import WEB_PATHS, handle, is_asset

__all__ = ["WEB_PATHS", "handle", "is_asset"]

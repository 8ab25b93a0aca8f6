#!/usr/bin/env python3
"""Drives one admin web UI (synapse-admin 0.11.4 or Ketesa 1.3.0, static builds) in
headless Chromium against a running bailiff, as an operator would.

Run by the Rust test `tests/e2e/ui_compat/browser.rs`, which starts bailiff, registers
the admin, copies the UI build and writes its `config.json`. This script serves that
copy on a loopback port, logs in through the login form and runs the flows below, each
a named test case. Every response from bailiff's origin is watched: a 401 or 403 (on
which synapse-admin logs out, `shared/SYNAPSE-ADMIN.md` §2.1) or any 5xx fails the flow
it happened in, and so does finding the login page again.

Flows run by default (`NOW`) pass against bailiff in both UIs: login, discovery, the
menu pages, the users and rooms admin pages and room deletion. Any written ahead of what
bailiff serves are listed in `PENDING` and switched on with `BAILIFF_BROWSER_FLOWS=all`
(or a comma-separated list of flow names).

Prints one line per flow (`PASS name` / `FAIL name: why`) and exits 1 if any failed.
"""

import argparse
import functools
import http.server
import json
import os
import sys
import threading
import time
import traceback

from playwright.sync_api import sync_playwright

from bailiff_api import Api
import flows

CHROMIUM = os.environ.get("BAILIFF_CHROMIUM", "/usr/bin/chromium")
# Playwright's default wait; the UIs render within a second or two even on a busy host.
TIMEOUT_MS = 20_000


def serve_static(folder):
    """Serves `folder` on an ephemeral loopback port; returns its URL."""
    handler = functools.partial(QuietHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Watch:
    """Every response from bailiff's origin; the refusals and faults are kept apart."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.bad = []
        self.unrecognized = set()

    def on_response(self, response):
        if not response.url.startswith(self.base_url + "/"):
            return
        status = response.status
        path = response.url[len(self.base_url):]
        if status in (401, 403) or status >= 500:
            self.bad.append(f"{response.request.method} {path} -> {status}")
        elif status == 404:
            self.unrecognized.add(f"{response.request.method} {path.split('?')[0]}")

    def take_bad(self):
        bad, self.bad = self.bad, []
        return bad


class Ctx:
    """What every flow gets: the page, the UI's name and URL, the API for set-up."""

    def __init__(self, ui, ui_url, page, api, admin, password, watch):
        self.ui = ui
        self.server_name = admin.split(":", 1)[1] if ":" in admin else ""
        self.ui_url = ui_url
        self.page = page
        self.api = api
        self.password = password
        self.watch = watch
        # The test's own session, for set-up and checks through the API.
        self.token = api.login(admin, password, "browser test set-up")["access_token"]
        self.admin = admin.split(":", 1)[0].lstrip("@")

    @property
    def ketesa(self):
        return self.ui == "ketesa"

    def goto(self, fragment):
        """Opens a react-admin route (`#/users`) and waits for its requests to settle."""
        self.page.goto(self.ui_url + "#/" + fragment.lstrip("#/"))
        self.settle()

    def settle(self):
        try:
            self.page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        except Exception:
            pass
        # react-admin fires nested-list requests after the first render.
        self.page.wait_for_timeout(700)
        self.assert_logged_in()

    def assert_logged_in(self):
        url = self.page.url
        if "#/login" in url:
            raise AssertionError(f"logged out: the UI went back to the login page ({url})")


def run(args):
    api = Api(args.base_url, args.shared_secret)
    ui_url = serve_static(args.dir)
    selected = flows.selected(os.environ.get("BAILIFF_BROWSER_FLOWS", ""))
    watch = Watch(args.base_url)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("response", watch.on_response)
        ctx = Ctx(args.ui, ui_url, page, api, args.admin, args.password, watch)
        logged_in = False
        for name, flow in flows.ALL:
            if name not in selected:
                continue
            if name != "login" and not logged_in:
                results.append((name, False, "skipped: login failed"))
                continue
            started = time.monotonic()
            try:
                flow(ctx)
                ctx.assert_logged_in()
                bad = watch.take_bad()
                if bad:
                    raise AssertionError("bailiff refused or failed: " + "; ".join(bad))
                results.append((name, True, f"{time.monotonic() - started:.1f}s"))
                if name == "login":
                    logged_in = True
            except Exception as error:  # noqa: BLE001 - every failure is reported
                watch.take_bad()
                shot = os.path.join(args.artifacts, f"{args.ui}-{name}.png")
                try:
                    page.screenshot(path=shot, full_page=True)
                except Exception:
                    shot = "(no screenshot)"
                detail = "".join(traceback.format_exception_only(error)).strip()
                results.append((name, False, f"{detail} [screenshot {shot}]"))
        browser.close()
    for name, passed, detail in results:
        print(f"{'PASS' if passed else 'FAIL'} {args.ui}/{name}: {detail}")
    print(f"{args.ui}: paths answered 404 (not served): "
          + json.dumps(sorted(watch.unrecognized)))
    return 0 if results and all(passed for _, passed, _ in results) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ui", required=True, choices=["synapse-admin", "ketesa"])
    parser.add_argument("--dir", required=True, help="the UI build to serve (a copy)")
    parser.add_argument("--base-url", required=True, help="bailiff's URL")
    parser.add_argument("--admin", required=True, help="the admin's user ID")
    parser.add_argument("--password", required=True)
    parser.add_argument("--shared-secret", required=True)
    parser.add_argument("--artifacts", required=True, help="where screenshots go")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()

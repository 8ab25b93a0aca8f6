"""The browser flows, one function per named test case, in running order.

`NOW` lists the flows that pass against bailiff in both UIs; `PENDING` those that do not
yet (each with the reason beside it). The flows are written against the UIs' DOM
(react-admin 5: inputs are named after their `source`); switch the pending ones on with
`BAILIFF_BROWSER_FLOWS=all`, or name some:
`BAILIFF_BROWSER_FLOWS=login,users_search_paging`. Flow set-up goes through bailiff's
API (`bailiff_api.py`); results are checked in the page and, where the page cannot tell,
through the API.
"""

import re
import uuid
from urllib.parse import quote

from playwright.sync_api import expect

NOW = [
    "login",
    "menu_pages",
    "user_page_opens",
    "users_search_paging",
    "user_create_edit",
    "user_lock_deactivate_reactivate",
    "user_tabs",
    "rooms_list",
    "room_tabs",
    "room_delete",
    "room_directory",
]
# Flows written ahead of what bailiff serves; none at the moment.
PENDING = []


def selected(setting):
    setting = setting.strip()
    if not setting:
        return set(NOW)
    if setting == "all":
        return set(NOW + PENDING)
    names = {name.strip() for name in setting.split(",") if name.strip()}
    unknown = names - set(NOW + PENDING)
    if unknown:
        raise SystemExit(f"BAILIFF_BROWSER_FLOWS names unknown flows: {sorted(unknown)}")
    # Every flow runs logged in.
    return names | {"login"}


def enc(identifier):
    """An ID in a react-admin route, as the UIs encode it (`encodeURIComponent`)."""
    return quote(identifier, safe="")


def user_id(ctx, localpart):
    return f"@{localpart}:{ctx.server_name}"


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def rows(page):
    """The rows of the tables on screen: the user edit page renders every tab's table at
    once (react-admin `TabbedForm`) and hides the inactive ones."""
    return page.locator("table tbody tr:visible")


def save(page):
    # synapse-admin's Save is a submit button, Ketesa's a plain one; both are named Save.
    page.get_by_role("button", name=re.compile(r"^save$", re.I)).last.click()
    # Ketesa asks to confirm some changes (granting admin, for one).
    button = page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^confirm$", re.I))
    try:
        button.wait_for(state="visible", timeout=1500)
    except Exception:
        return
    button.click()


def eventually(ctx, path, check, seconds=15, sent=()):
    """Polls an admin GET until `check(answer)` holds: synapse-admin's edits are undoable
    (react-admin sends them when the "Element updated" notice closes)."""
    answer = None
    for _ in range(int(seconds * 4)):
        answer = ctx.api.ok("GET", path, ctx.token)
        if check(answer):
            return answer
        ctx.page.wait_for_timeout(250)
    raise AssertionError(f"GET {path} never showed the change: {answer}; the UI sent {list(sent)}")


def reopen(ctx, fragment):
    """Opens a route afresh (a reload: react-admin's cache may hold the record from before
    the last change), so the form shows the server's record."""
    if ctx.page.url != ctx.ui_url + "#/" + fragment:
        ctx.goto(fragment)
    ctx.page.reload()
    ctx.settle()
    ctx.page.wait_for_timeout(500)


def confirm(page):
    page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^confirm$", re.I)).click()


# --- now -----------------------------------------------------------------------------


def login(ctx):
    """The login form: homeserver URL, user, password; lands on the users list."""
    page = ctx.page
    page.goto(ctx.ui_url + "#/login")
    page.locator('input[name="username"]').wait_for()
    base_url = page.locator('input[name="base_url"]')
    if base_url.count() and base_url.is_editable():
        base_url.fill(ctx.api.base_url)
        # Both UIs probe the server (versions, login flows, server_version) on input.
        base_url.blur()
    page.locator('input[name="username"]').fill(ctx.admin)
    page.locator('input[name="password"]').fill(ctx.password)
    submit = page.locator('button[type="submit"]')
    expect(submit).to_be_enabled()
    submit.click()
    page.wait_for_url(re.compile(r"#/users/?(\?.*)?$"))
    ctx.settle()
    # The menu is there, so the app shell (not the login page) is shown.
    expect(page.locator('a[href="#/users"]').first).to_be_visible()
    expect(page.locator('a[href="#/rooms"]').first).to_be_visible()


def menu_pages(ctx):
    """Every main menu entry opens without logging out."""
    page = ctx.page
    hrefs = page.eval_on_selector_all(
        'a[href^="#/"]',
        "links => [...new Set(links.filter(a => a.closest('.RaSidebar-root, .MuiDrawer-root,"
        " nav, [role=menu]')).map(a => a.getAttribute('href')))]",
    )
    hrefs = [h for h in hrefs if h not in ("#/", "#/login") and "/create" not in h]
    if len(hrefs) < 3:
        raise AssertionError(f"menu has too few entries: {hrefs}")
    for href in hrefs:
        link = page.locator(f'a[href="{href}"]').first
        if link.is_visible():
            link.click()
        else:
            page.goto(ctx.ui_url + href)
        ctx.settle()
        bad = ctx.watch.take_bad()
        if bad:
            raise AssertionError(f"{href}: bailiff refused or failed: {'; '.join(bad)}")
    print(f"{ctx.ui}: menu pages opened: {hrefs}")


def user_page_opens(ctx):
    """The admin's own edit page (every tab's request fires at once) keeps the session."""
    ctx.goto(f"users/{enc(user_id(ctx, ctx.admin))}")
    ctx.goto("users")


# --- pending -------------------------------------------------------------------------


def users_search_paging(ctx):
    """250 users: the list pages by 10 (synapse-admin) or 50 (Ketesa) and searches."""
    prefix = unique("pager")
    for i in range(250):
        # Created through the admin API without a password: no password hashing, so the
        # 250 users take a fraction of what registering them would.
        target = enc(user_id(ctx, f"{prefix}{i:03d}"))
        status, answer = ctx.api.call("PUT", f"/_synapse/admin/v2/users/{target}", ctx.token, {})
        assert status == 201, (status, answer)
    page = ctx.page
    ctx.goto("users")
    search = page.locator('input[name="name"]').first
    search.fill(prefix)
    ctx.settle()
    per_page = 50 if ctx.ketesa else 10
    # Sorted by name: page n starts at user n * per_page; the last page is 250 / per_page.
    expect(rows(page)).to_have_count(per_page)
    expect(rows(page).first).to_contain_text(f"{prefix}000")
    expect(page.get_by_role("button", name=f"Go to page {250 // per_page}")).to_be_visible()
    page.get_by_role("button", name="Go to next page").first.click()
    ctx.settle()
    expect(rows(page).first).to_contain_text(f"{prefix}{per_page:03d}")
    search.fill(f"{prefix}123")
    ctx.settle()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"{prefix}123")


def user_create_edit(ctx):
    """Create a user in the form, then change its display name and admin flag."""
    page = ctx.page
    localpart = unique("created")
    ctx.goto("users/create")
    page.locator('input[name="id"]').fill(localpart)
    page.locator('input[name="displayname"]').fill("Created In Browser")
    page.locator('input[name="password"]').fill("created-password-1")
    save(page)
    page.wait_for_url(re.compile(rf"#/users/{re.escape(enc(user_id(ctx, localpart)))}"))
    ctx.settle()
    page.locator('input[name="displayname"]').fill("Renamed In Browser")
    page.locator('input[name="admin"]').check()
    save(page)
    ctx.settle()
    eventually(ctx, f"/_synapse/admin/v2/users/{enc(user_id(ctx, localpart))}",
               lambda a: a["displayname"] == "Renamed In Browser" and a["admin"] is True)


def user_lock_deactivate_reactivate(ctx):
    """Lock, then deactivate with erase, then reactivate with a new password."""
    page = ctx.page
    localpart = unique("lockme")
    ctx.api.register(localpart, "lockme-password")
    target = user_id(ctx, localpart)
    path = f"/_synapse/admin/v2/users/{enc(target)}"
    sent = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.post_data}")
            if r.method in ("PUT", "POST") and enc(target) in r.url else None)
    page.on("response", lambda r: sent.append(f"-> {r.status} {r.text()[:120]}")
            if r.request.method in ("PUT", "POST") and enc(target) in r.url else None)
    reopen(ctx, f"users/{enc(target)}")
    expect(page.locator('input[name="locked"]')).not_to_be_checked()
    page.locator('input[name="locked"]').check()
    save(page)
    ctx.settle()
    eventually(ctx, path, lambda a: a["locked"] is True, sent=sent)
    reopen(ctx, f"users/{enc(target)}")
    # The form shows the server's record before it is changed (else the change races it).
    expect(page.locator('input[name="locked"]')).to_be_checked()
    page.locator('input[name="locked"]').uncheck()
    save(page)
    ctx.settle()
    eventually(ctx, path, lambda a: a["locked"] is False, sent=sent)
    # Deactivate with erase: synapse-admin's "Erase user data", Ketesa's "Delete" (which
    # asks for the user ID; its media and redaction boxes stay off).
    reopen(ctx, f"users/{enc(target)}")
    if ctx.ketesa:
        page.get_by_role("button", name="Delete", exact=True).first.click()
        page.get_by_role("dialog").locator('input[type="text"]').fill(target)
    else:
        page.get_by_role("button", name="Erase user data").click()
    confirm(page)
    ctx.settle()
    eventually(ctx, path, lambda a: a["deactivated"] is True and a["erased"] is True, sent=sent)
    reopen(ctx, f"users/{enc(target)}")
    expect(page.locator('input[name="deactivated"]')).to_be_checked()
    page.locator('input[name="deactivated"]').uncheck()
    page.locator('input[name="password"]').fill("reactivated-password-1")
    save(page)
    ctx.settle()
    eventually(ctx, path, lambda a: a["deactivated"] is False, sent=sent)
    ctx.api.login(localpart, "reactivated-password-1")


def open_tab(page, name):
    page.get_by_role("tab", name=re.compile(name, re.I)).first.click()
    page.wait_for_timeout(700)


def user_tabs(ctx):
    """Devices (delete one), connections (whois) and rooms of a user with two devices."""
    page = ctx.page
    localpart = unique("tabby")
    first = ctx.api.register(localpart, "tabby-password")
    ctx.api.login(localpart, "tabby-password", "second device")
    room_name = unique("Tabby room ")
    ctx.api.create_room(first["access_token"], room_name)
    target = user_id(ctx, localpart)
    ctx.goto(f"users/{enc(target)}")
    open_tab(page, "devices")
    expect(rows(page)).to_have_count(2)
    rows(page).first.get_by_role("button", name="Remove").click()
    confirm(page)
    ctx.settle()
    devices = ctx.api.ok("GET", f"/_synapse/admin/v2/users/{enc(target)}/devices", ctx.token)
    assert devices["total"] == 1, devices
    open_tab(page, "connections")
    # Every tab is rendered at once; the devices tab's hidden IP column matches too.
    expect(page.get_by_text("127.0.0.1").filter(visible=True).first).to_be_visible()
    open_tab(page, "rooms")
    expect(page.get_by_text(room_name).filter(visible=True).first).to_be_visible()


def make_rooms(ctx, prefix):
    """Three rooms with 3, 1 and 2 joined members; returns {name: room_id}."""
    owner = ctx.api.register(unique("owner"), "owner-password")
    members = [ctx.api.register(unique("member"), "member-password") for _ in range(2)]
    rooms = {}
    for name, joined in [(f"{prefix} big", 2), (f"{prefix} small", 0), (f"{prefix} mid", 1)]:
        room_id = ctx.api.create_room(owner["access_token"], name,
                                      invite=[m["user_id"] for m in members[:joined]])
        for member in members[:joined]:
            ctx.api.join(member["access_token"], room_id)
        rooms[name] = room_id
    return rooms


def rooms_list(ctx):
    """Rooms list: search, then sort by members both ways."""
    page = ctx.page
    prefix = unique("Listed")
    make_rooms(ctx, prefix)
    ctx.goto("rooms")
    page.locator('input[name="search_term"]').first.fill(prefix)
    ctx.settle()
    expect(rows(page)).to_have_count(3)
    header = page.get_by_role("columnheader", name=re.compile("members", re.I)).first
    order = []
    for _ in range(2):
        header.get_by_text(re.compile(r"^members$", re.I)).click()
        ctx.settle()
        order.append([rows(page).nth(i).inner_text() for i in range(3)])
    # One click sorts by members one way, the next the other way: big, mid, small and back.
    expected = [f"{prefix} big", f"{prefix} mid", f"{prefix} small"]
    names = [[next(n for n in expected if n in text) for text in o] for o in order]
    assert sorted(names) == sorted([expected, expected[::-1]]), order


def room_tabs(ctx):
    """Room page: members and state tabs."""
    page = ctx.page
    rooms = make_rooms(ctx, unique("Tabbed"))
    room_id = next(iter(rooms.values()))
    ctx.goto(f"rooms/{enc(room_id)}/show")
    open_tab(page, "members")
    ctx.settle()
    expect(rows(page)).to_have_count(3)
    open_tab(page, "state events")
    ctx.settle()
    expect(page.get_by_text("m.room.create").first).to_be_visible()


def room_delete(ctx):
    """Delete a room with purge from its page; Ketesa polls delete_status."""
    page = ctx.page
    rooms = make_rooms(ctx, unique("Doomed"))
    room_id = next(iter(rooms.values()))
    ctx.goto(f"rooms/{enc(room_id)}/show")
    page.get_by_role("button", name="Delete", exact=True).first.click()
    # Ketesa asks (block, purge, force_purge); synapse-admin sends `{"block": false}`,
    # whose purge defaults to true.
    purge = page.get_by_role("dialog").locator('input[name="purge"]')
    if purge.count():
        purge.check()
    confirm(page)
    for _ in range(40):
        status, _ = ctx.api.call("GET", f"/_synapse/admin/v1/rooms/{enc(room_id)}", ctx.token)
        if status == 404:
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError("the room still exists 20 s after deletion")
    ctx.settle()


def room_directory(ctx):
    """The room directory page lists a published room."""
    owner = ctx.api.register(unique("publisher"), "publisher-password")
    name = unique("Published ")
    ctx.api.create_room(owner["access_token"], name, visibility="public")
    ctx.goto("room_directory")
    expect(ctx.page.get_by_text(name).first).to_be_visible()


ALL = [(name, globals()[name]) for name in NOW + PENDING]

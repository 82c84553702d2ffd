"""Steering, funder and data protection pages against the real services.

The coordination and referrals services run on real ports against real PostgreSQL and NATS; the
portal runs in-process as http://127.0.0.1:8000 (the address the realm registers), and the test's
client logs in through the real development identity provider with the code flow, as a browser
does. Coordination is fed real registry and referral events on NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
import socket
import uuid
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deploy.devidp.testing import issuer_of, password_token
from services.portal.app import create_app as create_portal
from services.portal.charts.render import STATIC as CHARTS_STATIC
from services.portal.settings import PortalSettings
from services.portal.vendor import STATIC_DIR
from services.referrals.app import create_app as create_referrals
from shared.testing import RunningServers
from tests.coordination.conftest import (
    MIGRATIONS as COORDINATION_MIGRATIONS,
)
from tests.coordination.conftest import (
    Harness,
    Ref,
    demo_directory,
    make_settings,
    serve,
)
from tests.coordination.conftest import (
    org_id as demo_org,
)
from tests.referrals.conftest import MIGRATIONS as REFERRALS_MIGRATIONS
from tests.referrals.conftest import settings_for as referrals_settings
from tests.referrals.world import RWANGA, Api, Directory, grant

PORTAL = "http://127.0.0.1:8000"  # the portal's redirect URI in the realm
PORTAL_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "portal" / "migrations"
RWANGA_COORD = demo_org("rwanga")


# --- the stack ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def on_port(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class Inputs(HTMLParser):
    """The form of the identity provider's login page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


class Browser:
    """A client that reaches the in-process portal at its registered address and the real IdP."""

    def __init__(self, portal: FastAPI) -> None:
        self.http = httpx.AsyncClient(
            mounts={PORTAL: httpx.ASGITransport(portal)}, base_url=PORTAL, timeout=30
        )

    async def login(self, user: str) -> None:
        r = await self.http.get("/login", params={"next": "/"})
        assert r.status_code == 303, r.text
        form_page = await self.http.get(r.headers["location"])
        form = Inputs()
        form.feed(form_page.text)
        action = httpx.URL(r.headers["location"]).join(form.action)
        r = await self.http.post(action, data={**form.fields, "username": user, "password": "hawkari-demo"})
        assert r.status_code == 302, r.text
        r = await self.http.get(r.headers["location"])
        assert r.status_code == 303 and "set-cookie" in r.headers, r.text

    async def page(self, path: str, **params: str) -> httpx.Response:
        return await self.http.get(path, params=params)

    def csrf(self, html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, "the page holds a form with a CSRF token"
        return match.group(1)


def ref(stage: str, governorate: str, programme: str, funder: str) -> Ref:
    return Ref(
        stage, governorate, "cash-grant", programme, [funder], RWANGA_COORD, "voluntary_assisted", "2025-03"
    )


@pytest.fixture(scope="module")
async def coordination(servers: RunningServers, idp_url: str) -> AsyncIterator[Harness]:
    """Coordination on a real port, fed the demo directory and referral events over NATS.

    Erbil: 20 sent, 6 accepted; Baghdad: 9 sent; Duhok: 2 sent, a small cell (suppressed, with
    whatever else the service hides so that no total gives it away).
    """
    template = await servers.migrated_template(COORDINATION_MIGRATIONS, "portal_coord_tpl")
    url = await servers.create_database("portal_coord", template=template.rsplit("/", 1)[1])
    async with serve(make_settings(url, servers, idp_url), {}) as h:
        await h.directory(*demo_directory())
        await h.refs(
            [ref("sent", "IQ-AR", "se-cash", "SE")] * 20
            + [ref("accepted", "IQ-AR", "se-cash", "SE")] * 6
            + [ref("sent", "IQ-BG", "no-cash", "NO")] * 9
            + [ref("sent", "IQ-DA", "se-cash", "SE")] * 2
        )
        yield h
    await servers.drop_database(url)


DIRECTORY = Directory()  # the referrals service's registry replica in these tests


@pytest.fixture(scope="module")
async def referrals(servers: RunningServers, idp_url: str) -> AsyncIterator[str]:
    template = await servers.migrated_template(REFERRALS_MIGRATIONS, "portal_ref_tpl")
    url = await servers.create_database("portal_ref", template=template.rsplit("/", 1)[1])
    app = create_referrals(referrals_settings(url, servers, idp_url))
    async with on_port(app) as base:
        await DIRECTORY.load(app.state.sessionmaker)
        yield base
    await servers.drop_database(url)


@pytest.fixture(scope="module")
async def portal(
    servers: RunningServers, idp_url: str, coordination: Harness, referrals: str
) -> AsyncIterator[FastAPI]:
    template = await servers.migrated_template(PORTAL_MIGRATIONS, "portal_tpl")
    url = await servers.create_database("portal", template=template.rsplit("/", 1)[1])
    settings = PortalSettings(
        environment="test",
        database_url=url,
        oidc_issuer=issuer_of(idp_url),
        coordination_url=str(coordination.http.base_url),
        referrals_url=referrals,
    )
    app = create_portal(settings)
    async with LifespanManager(app):
        yield app
    await servers.drop_database(url)


@pytest.fixture
async def browser(portal: FastAPI) -> AsyncIterator[Browser]:
    b = Browser(portal)
    yield b
    await b.http.aclose()


class Tables(HTMLParser):
    """Every table of a page as rows of (text, classes) cells, keyed by caption."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[tuple[str, str]]] = []
        self._cell: list[str] | None = None
        self._cls = ""
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._cls = [], a.get("class", "")
        elif tag == "span" and "hk-visually-hidden" in a.get("class", ""):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._title = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append((" ".join("".join(self._cell).split()), self._cls))
            self._cell = None
        elif tag == "table":
            self.tables[self._title] = self._rows
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None and not self._hidden:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[tuple[str, str]]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def row_of(table: list[list[tuple[str, str]]], header_part: str) -> list[tuple[str, str]]:
    return next(r for r in table if r and header_part in r[0][0])


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/steering", "/steering/funnel", "/dpo", "/dpo/audit"])
async def test_a_counsellor_gets_the_403_page(browser: Browser, path: str) -> None:
    await browser.login("counsellor.erbil")
    r = await browser.page(path)
    assert r.status_code == 403, (r.headers, browser.http.cookies)
    assert "text/html" in r.headers["content-type"] and "<h1>Not allowed</h1>" in r.text


async def test_a_funder_may_not_open_data_protection_pages_nor_a_dpo_the_dashboards(portal: FastAPI) -> None:
    for user, path in (("funder.se", "/dpo"), ("dpo.noraq", "/steering")):
        b = Browser(portal)
        await b.login(user)
        assert (await b.page(path)).status_code == 403
        await b.http.aclose()


async def test_without_a_session_a_dashboard_sends_to_login_and_back(browser: Browser) -> None:
    r = await browser.page("/steering/funnel", by="month")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/steering/funnel")


# --- steering pages -------------------------------------------------------------------------------


async def test_coverage_marks_the_funders_own_programmes(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering")
    assert r.status_code == 200, r.text
    tables = tables_of(r.text)
    programmes = tables["Programmes behind these services"]
    own = {row[0][0] for row in programmes[1:] if "hk-own" in row[0][1]}
    others = {row[0][0] for row in programmes[1:] if "hk-own" not in row[0][1]}
    assert own == {"★ se-cash", "★ se-psy"} and {"no-cash", "no-mrc"} <= others
    heat = tables["Active services by governorate and service category"]
    header = [c[0] for c in heat[0]]
    erbil = row_of(heat, "Arbīl")
    cash = erbil[header.index("Cash-Grant")]
    assert cash[0] == "★ 2" and "hk-marked" in cash[1]  # rwanga-cash (SE) and ettc-cash (NO)
    baghdad = row_of(heat, "Baghdād")
    assert (
        baghdad[header.index("Cash-Grant")][0] == "1"
        and "hk-marked" not in baghdad[header.index("Cash-Grant")][1]
    )


async def test_another_funder_sees_the_same_programmes_with_its_own_marked(browser: Browser) -> None:
    await browser.login("funder.no")
    tables = tables_of((await browser.page("/steering")).text)
    own = {row[0][0] for row in tables["Programmes behind these services"][1:] if "hk-own" in row[0][1]}
    assert own == {"★ no-cash", "★ no-mrc"}


async def test_funnel_shows_small_cells_as_suppressed_never_as_zero(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering/funnel", by="governorate")
    assert r.status_code == 200, r.text
    table = next(t for caption, t in tables_of(r.text).items() if caption.startswith("Referral funnel by"))
    header = [c[0] for c in table[0]]
    duhok = row_of(table, "Dahūk")
    assert duhok[header.index("Sent")] == ("suppressed", "hk-suppressed")
    erbil = row_of(table, "Arbīl")
    assert erbil[header.index("Accepted")][0] == "6"
    # The service chose which other cells to hide with it (complementary suppression); each one
    # the page shows says so, and none of them is written as a number.
    sent = [row[header.index("Sent")] for row in table[1:]]
    assert all(cell == ("suppressed", "hk-suppressed") or cell[0].isdigit() for cell in sent)
    assert row_of(table, "All")[header.index("Sent")][0] == "31"
    # The tile map says the same in its title and table; the funnel chart has its own table.
    tiles = tables_of(r.text)["Referrals sent per governorate"]
    assert row_of(tiles, "Dahūk")[1] == ("suppressed", "hk-suppressed")
    assert 'class="hk-tile hk-heat hk-heat-0 hk-suppressed"' in r.text


async def test_funnel_by_programme_marks_own_programme_rows(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering/funnel", by="programme")
    table = next(t for caption, t in tables_of(r.text).items() if caption.startswith("Referral funnel by"))
    se_cash = row_of(table, "se-cash")
    assert se_cash[0] == ("★ se-cash", "hk-own")


async def test_overlap_gaps_outcomes_and_timeline_pages_render(browser: Browser) -> None:
    await browser.login("steering.noraq")
    overlap = await browser.page("/steering/overlap")
    assert overlap.status_code == 200, overlap.text
    rows = tables_of(overlap.text)["Overlapping programmes, largest first"]
    assert any("se-cash" in r[3][0] and "no-cash" in r[3][0] for r in rows[1:])
    for path in ("/steering/gaps", "/steering/outcomes", "/steering/timeline", "/steering/threshold"):
        r = await browser.page(path)
        assert r.status_code == 200, (path, r.text)
        assert ("<title>" in r.text and 'scope="col"' in r.text) or path == "/steering/threshold"


async def test_a_refused_filter_is_shown_next_to_its_field(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering", governorate="IQ-XX", **{"from": "2025-05-01", "to": "2025-01-01"})
    assert r.status_code == 200
    assert 'id="f-governorate-error"' in r.text and 'id="f-to-error"' in r.text
    assert 'href="#f-governorate"' in r.text  # the error summary links to the field
    r = await browser.page("/steering", programme=str(uuid.uuid4()))  # only the service knows
    assert 'id="f-programme-error"' in r.text


# --- downloads ------------------------------------------------------------------------------------


async def test_csv_downloads_carry_hxl_tags_and_suppression(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering/download/funnel.csv", by="governorate")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="hawkari-funnel.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[1][0] == "#adm1+code"
    duhok = next(row for row in rows if row[0] == "IQ-DA")
    assert duhok[rows[0].index("sent")] == "suppressed"
    coverage = await browser.page("/steering/download/coverage.csv", governorate="IQ-AR")
    assert {row[0] for row in list(csv.reader(io.StringIO(coverage.text)))[2:]} == {"IQ-AR"}


async def test_json_downloads_are_the_services_views_for_this_user(browser: Browser) -> None:
    await browser.login("funder.se")
    r = await browser.page("/steering/download/coverage.json")
    assert r.headers["content-disposition"].endswith('hawkari-coverage.json"')
    view = r.json()
    assert view["view"] == "coverage"
    assert {p["name"] for p in view["programmes"].values() if p["own"]} == {"se-cash", "se-psy"}
    overlap = (await browser.page("/steering/download/overlap.json")).json()
    assert overlap["view"] == "overlap" and overlap["rows"]
    assert (await browser.page("/steering/download/nothing.csv")).status_code == 404


# --- threshold ------------------------------------------------------------------------------------


async def test_steering_admin_sets_k_with_csrf_and_a_funder_cannot(
    portal: FastAPI, coordination: Harness
) -> None:
    admin = Browser(portal)
    await admin.login("steering.noraq")
    page = await admin.page("/steering/threshold")
    token = admin.csrf(page.text)
    assert 'name="k"' in page.text
    refused = await admin.http.post("/steering/threshold", data={"k": "6"})  # no CSRF token
    assert refused.status_code == 403
    bad = await admin.http.post("/steering/threshold", data={"k": "1", "csrf_token": token})
    assert bad.status_code == 422 and 'id="f-k-error"' in bad.text
    ok = await admin.http.post("/steering/threshold", data={"k": "6", "csrf_token": token})
    assert ok.status_code == 303
    assert "The threshold k in force is 6." in (await admin.page(ok.headers["location"])).text

    funder = Browser(portal)
    await funder.login("funder.se")
    page = await funder.page("/steering/threshold")
    assert 'name="k"' not in page.text
    denied = await funder.http.post(
        "/steering/threshold", data={"k": "9", "csrf_token": funder.csrf(page.text)}
    )
    assert denied.status_code == 403
    back = await admin.http.post("/steering/threshold", data={"k": "5", "csrf_token": token})
    assert back.status_code == 303
    for b in (admin, funder):
        await b.http.aclose()


# --- languages and weight ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "ckb"])
async def test_dashboards_render_right_to_left_in_arabic_and_kurdish(browser: Browser, lang: str) -> None:
    await browser.login("funder.se")
    browser.http.cookies.set("hawkari_lang", lang)
    r = await browser.page("/steering/funnel")
    assert f'<html lang="{lang}" dir="rtl">' in r.text
    assert 'direction="rtl"' in r.text  # the charts mirror too


async def test_pages_are_light_and_need_no_inline_style(browser: Browser) -> None:
    await browser.login("steering.noraq")
    css = (STATIC_DIR / "portal.css").stat().st_size + (CHARTS_STATIC / "charts.css").stat().st_size
    for path in (
        "/steering",
        "/steering/overlap",
        "/steering/gaps",
        "/steering/funnel",
        "/steering/timeline",
    ):
        html = (await browser.page(path)).text
        assert len(html.encode()) + css < 200_000, path
        assert not re.search(r"<[^>]+\sstyle=", html) and "<script>" not in html


# --- data protection officer ------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def case_id(referrals: str, idp_url: str) -> str:
    """A case with personal data, consent and a referral, opened by a counsellor."""
    tokens = {u: await password_token(idp_url, u) for u in ("counsellor.erbil",)}
    async with httpx.AsyncClient(base_url=referrals, timeout=30) as http:
        api = Api(http, tokens)
        case = await api.open_case(marker="Zq7")
        await api.consent(case["id"], grant(["identity_contact"], orgs=[RWANGA]))
        referral = await api.refer(case["id"], DIRECTORY.psychosocial, ["identity_contact"])
        assert referral.status_code == 201, referral.text
        return str(case["id"])


async def test_subject_access_report_page_and_json(browser: Browser, case_id: str) -> None:
    await browser.login("dpo.noraq")
    r = await browser.page(f"/dpo/cases/{case_id}")
    assert r.status_code == 200, r.text
    assert "FakenameZq7" in r.text and "Consent records" in r.text
    assert "Referrals" in tables_of(r.text)
    download = await browser.page(f"/dpo/cases/{case_id}/report.json")
    assert download.headers["content-disposition"].startswith("attachment;")
    report = download.json()
    assert report["case"]["id"] == case_id
    assert report["personal_data"]["identity_contact"]["given_name"] == "FakenameZq7"
    # Reading the report is itself audited: the last read is the officer's.
    assert report["accessed_by"][-1]["who"] == "dpo.noraq"
    assert report["accessed_by"][-1]["why"] == "subject_access_report"
    seen = tables_of((await browser.page(f"/dpo/cases/{case_id}")).text)["Who saw the personal data"]
    assert any("dpo.noraq" in " ".join(c[0] for c in row) for row in seen[1:])


async def test_case_id_form_validates(browser: Browser) -> None:
    await browser.login("dpo.noraq")
    r = await browser.page("/dpo/case", case_id="not-a-uuid")
    assert r.status_code == 422 and 'id="f-case_id-error"' in r.text
    r = await browser.page("/dpo/case", case_id=str(uuid.uuid4()))
    assert r.status_code == 303
    missing = await browser.page(r.headers["location"])
    assert missing.status_code == 404


async def test_erasure_needs_confirmation_and_csrf_then_shreds(
    browser: Browser, idp_url: str, referrals: str
) -> None:
    tokens = {"counsellor.erbil": await password_token(idp_url, "counsellor.erbil")}
    async with httpx.AsyncClient(base_url=referrals, timeout=30) as http:
        case = await Api(http, tokens).open_case(marker="Er4")
    case_id = case["id"]
    await browser.login("dpo.noraq")
    confirm = await browser.page(f"/dpo/cases/{case_id}/erase")
    assert confirm.status_code == 200
    token = browser.csrf(confirm.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', confirm.text).group(1)  # type: ignore[union-attr]
    action = f"/dpo/cases/{case_id}/erase"

    no_csrf = await browser.http.post(action, data={"confirm": "yes", "idempotency_key": key})
    assert no_csrf.status_code == 403
    unconfirmed = await browser.http.post(action, data={"csrf_token": token, "idempotency_key": key})
    assert unconfirmed.status_code == 422 and 'id="f-confirm-error"' in unconfirmed.text
    still = (await browser.page(f"/dpo/cases/{case_id}/report.json")).json()
    assert still["personal_data"]["identity_contact"]["given_name"] == "FakenameEr4"

    form = {"csrf_token": token, "idempotency_key": key, "confirm": "yes"}
    done = await browser.http.post(action, data=form)
    assert done.status_code == 200 and case["reference"] in done.text
    again = await browser.http.post(action, data=form)  # a double submit: the same answer
    assert again.status_code == 200 and case["reference"] in again.text
    fresh = await browser.http.post(action, data={**form, "idempotency_key": str(uuid.uuid4())})
    assert fresh.status_code == 422 and "already erased" in fresh.text

    tombstone = await browser.page(f"/dpo/cases/{case_id}")
    assert "FakenameEr4" not in tombstone.text and "Erase this case" not in tombstone.text
    report = (await browser.page(f"/dpo/cases/{case_id}/report.json")).json()
    assert report["personal_data"] == {} and report["case"]["status"] == "erased"


async def test_audit_chain_verification_result(browser: Browser, case_id: str) -> None:
    await browser.login("dpo.noraq")
    r = await browser.page("/dpo/audit")
    assert r.status_code == 200
    match = re.search(r"The audit chain is intact: (\d+) entries verified", r.text)
    assert match and int(match.group(1)) > 0

"""The whole loop in Debian's Chromium against the real stack (`hawkari up` on free ports).

A counsellor opens a case, records consent, sees entitlements and refers; the provider's
caseworker sees the notification arrive live, accepts and completes; the counsellor sees the
status change; a funder sees the referral counted in the funnel. Screenshots of each step land in
tests/portal/artifacts/<test>/.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.portal.browser_stack import Screens, Stack, Traffic, login

pytestmark = pytest.mark.timeout(420)


def funnel(page: Any, portal: str) -> dict[str, str]:
    """The funder's funnel figures (stage -> count as shown) from the steering page's table."""
    page.goto(portal + "/steering/funnel")
    table = page.locator("table", has=page.locator("caption", has_text="Referral funnel")).first
    figures = {}
    for row in table.locator("tbody tr").all():
        cells = [cell.text_content() or "" for cell in row.locator("th, td").all()]  # inside <details>
        if len(cells) >= 2:
            figures[cells[0].strip()] = cells[1].strip()
    return figures


def wait_for(check: Any, timeout: float = 20.0, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def test_counsellor_refers_provider_completes_funder_counts(
    portal_stack: Stack, new_context: Any, traffic: Traffic
) -> None:
    portal = portal_stack.portal
    shots = Screens("loop")

    # The steering group sets the small-cell threshold to its lowest, so that one referral shows
    # in the funder's figures (with the default k a change of one is usually suppressed).
    steering = new_context().new_page()
    login(steering, portal, "steering.noraq", "/steering/threshold")
    k_before = steering.input_value("#f-k")
    steering.fill("#f-k", "2")
    steering.click("button:has-text('Save threshold')")
    steering.wait_for_load_state()

    # The funder's funnel before anything happens.
    funder = new_context().new_page()
    login(funder, portal, "funder.se", "/steering/funnel")
    before = funnel(funder, portal)
    assert before.get("Sent", "").isdigit(), before
    shots.shot(funder, "funder-funnel-before")

    # The caseworker has the inbox open, with the live stream connected.
    caseworker = new_context().new_page()
    login(caseworker, portal, "caseworker.rwanga", "/provider/referrals")
    caseworker.wait_for_selector("body[data-live=open]")
    shots.shot(caseworker, "caseworker-inbox")

    # The counsellor opens a case.
    page = new_context().new_page()
    login(page, portal, "counsellor.erbil", "/cases")
    page.click("text=Open a new case")
    marker = uuid.uuid4().hex[:8]
    page.fill("#f-given_name", f"Browser{marker}")
    page.fill("#f-family_name", "Loop")
    page.fill("#f-date_of_birth", "1990-04-27")
    page.check("input[name=return_type][value=voluntary_assisted]")
    page.select_option("#f-country_returned_from", "SE")
    page.select_option("#f-governorate_code", "IQ-AR")
    page.fill("#f-arrival_date", "2026-09-15")
    page.fill("#f-household_size", "3")
    page.select_option("#f-gender", "male")
    page.select_option("#f-age_band", "35-49")
    shots.shot(page, "new-case-form")
    page.click("button:has-text('Open the case')")
    page.wait_for_selector("text=The case was opened.")
    case_url = page.url.split("?")[0]
    reference = page.locator("h1").inner_text().split()[1]
    shots.shot(page, "case-opened")

    # Consent, on a screen that shows the information sheet in the returnee's language.
    page.click("text=Record consent")
    page.select_option("#sheet-language", "ckb")
    page.click("button:has-text('Show the sheet')")
    sheet = page.locator("article.info-sheet")
    assert sheet.get_attribute("lang") == "ckb" and sheet.get_attribute("dir") == "rtl"
    sheet.scroll_into_view_if_needed()
    shots.shot(page, "information-sheet-in-kurdish")
    page.check("input[name=purposes][value=referral]")
    page.check("input[name=data_categories][value=identity_contact]")
    page.check("label:has-text('Rwanga Foundation') >> xpath=preceding-sibling::input")
    page.check("input[name=legal_basis][value=consent]")
    page.check("input[name=obtained_how][value=verbal]")
    shots.shot(page, "consent-choices")
    page.click("button:has-text('Record the consent')")
    page.wait_for_selector("text=The consent was recorded.")
    assert "Identity and contact details" in page.locator("#consent-h + ul").inner_text()

    # Entitlements, with reasons.
    page.click("a:has-text('Entitlements')")
    assert page.input_value("#f-age") == str(_age("1990-04-27"))  # from the encrypted date of birth
    page.click("button:has-text('Show entitlements')")
    page.wait_for_selector("text=Cash support in total")
    assert page.locator("article.entitlement[data-eligible=yes]").count() >= 1
    page.locator("article.entitlement details").first.click()
    shots.shot(page, "entitlements")

    # Find the service, try to share beyond consent (refused and shown), then refer.
    page.goto(case_url)
    page.click("text=Find services and refer")
    page.fill("#q", "psychosocial")
    page.click("form[role=search] button[type=submit]")
    result = page.locator("li.result", has_text="Rwanga Foundation").filter(has_text="Psychosocial").first
    shots.shot(page, "directory-search")
    result.locator("a:has-text('Refer to this service')").click()
    service_id = page.url.split("service=")[1]
    page.check("input[name=data_categories][value=identity_contact]")
    page.check("input[name=data_categories][value=vulnerabilities]")
    if page.locator("input[name=programme_id]").count():
        page.locator("input[name=programme_id]").first.check()
    page.click("button:has-text('Send the referral')")
    summary = page.locator(".error-summary")
    assert "consent does not cover" in summary.inner_text()
    assert "Vulnerabilities" in page.locator("#f-data_categories-error").inner_text()
    shots.shot(page, "referral-refused-beyond-consent")
    page.uncheck("input[name=data_categories][value=vulnerabilities]")
    page.click("button:has-text('Send the referral')")
    page.wait_for_selector("#referral-status[data-status=sent]")
    referral_url = page.url.split("?")[0]
    shots.shot(page, "referral-sent")

    # The caseworker sees it arrive live, without reloading.
    live = caseworker.locator("#live-region .notice-item[data-kind='referral.sent']")
    live.wait_for(timeout=15_000)
    shots.shot(caseworker, "caseworker-live-notification")
    caseworker.goto(referral_url)
    shared = caseworker.locator("section[aria-labelledby=shared-h]").inner_text()
    assert f"Browser{marker}" in shared and "Vulnerabilities" not in shared  # only consented data
    for step, status in (("Accept", "accepted"), ("Start the service", "in_progress")):
        caseworker.click(f"button:has-text('{step}')")
        caseworker.wait_for_selector(f"#referral-status[data-status={status}]")
        shots.shot(caseworker, f"caseworker-{status}")
    caseworker.check("input[name=outcome][value=delivered]")
    caseworker.click("button:has-text('Complete')")
    caseworker.wait_for_selector("#referral-status[data-status=completed]")
    shots.shot(caseworker, "caseworker-completed")

    # The counsellor, still on the referral's page, hears of it live; after a reload the status
    # and each step on the timeline show.
    page.locator("#live-region .notice-item[data-kind='referral.completed']").wait_for(timeout=15_000)
    shots.shot(page, "counsellor-live-notification")
    page.goto(referral_url)
    assert page.locator("#referral-status").get_attribute("data-status") == "completed"
    timeline = page.locator(".timeline").inner_text()
    assert "accepted by Rwanga Foundation" in timeline and "completed referral" in timeline
    shots.shot(page, "counsellor-sees-completed")
    page.goto(case_url)
    assert reference in page.locator("h1").inner_text()

    # The person withdraws consent: nothing more can be shared with the provider.
    page.click("text=Record consent")
    page.click("button:has-text('Withdraw this consent')")
    page.wait_for_selector("text=The consent was withdrawn.")
    assert "No consent is recorded" in page.locator("#consent-h + p").inner_text()
    page.goto(case_url + "/refer?service=" + service_id)
    assert "no consent for this provider" in page.locator("#f-data_categories").inner_text()
    page.check("input[name=data_categories][value=identity_contact]")
    page.click("button:has-text('Send the referral')")
    assert "consent does not cover" in page.locator(".error-summary").inner_text()
    shots.shot(page, "after-withdrawal-referral-refused")

    # The funder sees it counted (coordination consumes the events asynchronously).
    def counted() -> dict[str, str] | None:
        # One more sent and accepted referral. A stage may be shown as "suppressed" (secondary
        # suppression keeps a hidden small cell from being worked out from the totals): the
        # referral is counted when a stage shown both before and now went up by exactly one.
        now = funnel(funder, portal)
        up = [
            stage
            for stage in ("Sent", "Accepted")
            if before.get(stage, "").isdigit()
            and now.get(stage, "").isdigit()
            and int(now[stage]) == int(before[stage]) + 1
        ]
        return now if up else None

    after = wait_for(counted, timeout=30)
    assert after, f"funnel before {before}, now {funnel(funder, portal)}"
    shots.shot(funder, "funder-funnel-after")
    steering.goto(portal + "/steering/threshold")
    steering.fill("#f-k", k_before)
    steering.click("button:has-text('Save threshold')")
    steering.wait_for_load_state()

    # Nothing was fetched from any host but the portal and (for logging in) the identity provider.
    portal_host, idp_host = urlsplit(portal).netloc, urlsplit(portal_stack.idp).netloc
    assert traffic.hosts() <= {portal_host, idp_host}, traffic.hosts()
    assert all(
        urlsplit(u).path.startswith(("/realms/", "/resources/"))
        for u in traffic.requests
        if urlsplit(u).netloc == idp_host
    )


def _age(dob: str) -> int:
    from datetime import date

    born, today = date.fromisoformat(dob), date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

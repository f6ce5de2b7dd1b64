"""Each role's main flow through the console, in a real browser against the real stack."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, WebhookReceiver, shoot, sign_in

LED_NEED = 1  # Torino's LED public lighting retrofit in the demo catalogue, with an appraisal


def summary(console: Console) -> dict:
    return httpx.get(f"{console.stack.url('matching')}/v1/programme/summary", timeout=30).json()


def test_the_programme_dashboard_is_open_to_anyone(page: Page, console: Console) -> None:
    page.goto("/")
    figures = summary(console)
    expect(page.get_by_test_id("figure-open-needs")).to_have_text(str(figures["open_needs"]))
    expect(page.get_by_test_id("figure-with-supplier")).to_have_text(
        str(figures["with_supplier_match"])
    )
    expect(page.get_by_test_id("figure-with-lender")).to_have_text(
        str(figures["with_lender_match"])
    )
    expect(page.get_by_test_id("chart-categories").locator("rect")).not_to_have_count(0)
    expect(page.get_by_test_id("regions").locator("tbody tr")).to_have_count(
        len(figures["by_region"])
    )
    shoot(page, console, "01-dashboard")
    # the demo's LED need is one click away; without a key its bankability is shown
    page.get_by_test_id(f"need-link-{LED_NEED}").click()
    expect(page.get_by_test_id("need-title")).to_contain_text("LED")
    expect(page.get_by_test_id("bankability")).to_contain_text("A")
    expect(page.get_by_test_id("partner-list").get_by_test_id("match").first).to_be_visible()


def test_a_municipality_appraises_ranks_asks_why_not_and_posts_a_need(
    page: Page, console: Console
) -> None:
    sign_in(page, console.key("torino"))
    page.goto(f"/#/needs/{LED_NEED}")
    # appraisal charts: yearly cash flows, DSCR against the covenant, the Monte Carlo of FNPV
    expect(page.get_by_test_id("chart-cash-flows").locator("rect.bar")).to_have_count(16)
    expect(page.get_by_test_id("chart-dscr").get_by_test_id("covenant-line")).to_have_count(1)
    expect(page.get_by_test_id("chart-monte-carlo").locator("rect.bar")).to_have_count(4)
    expect(page.get_by_test_id("p-negative")).to_have_text(re.compile(r"P\(FNPV < 0\) = \d"))
    expect(page.get_by_test_id("recommended-forms").locator("> li").first).to_be_visible()
    # ranked suppliers and lenders, each with its explanation
    partners = page.get_by_test_id("partner-list")
    expect(partners.get_by_test_id("explanation").first).to_contain_text("#1")
    page.get_by_test_id("tab-lender").click()
    expect(partners).to_have_attribute("data-kind", "lender")
    expect(partners.get_by_test_id("explanation").first).to_contain_text("lender")
    # why is a named supplier missing?
    why = page.get_by_test_id("why-not")
    why.get_by_test_id("input-candidate").fill("Lumière")
    why.locator("[data-candidate-id]").first.click()
    why.get_by_test_id("ask-why").click()
    expect(why.get_by_test_id("why-not-verdict")).to_have_text("Not eligible")
    expect(why.get_by_test_id("why-not-explanation")).to_contain_text("region")
    shoot(page, console, "02-municipality-need")

    # a new need with a region that does not exist: the error sits by the field, nothing is lost
    page.goto("/#/needs/new")
    form = page.get_by_test_id("need-form")
    form.get_by_test_id("input-title").fill("Semafori a LED in Barriera di Milano")
    form.get_by_test_id("input-category").select_option("traffic_lights")
    form.get_by_test_id("picker-cpv_codes").fill("traffic lights")
    form.locator('[data-field=cpv_codes] .options [data-code="34996100"]').click()
    form.get_by_test_id("picker-nuts_code").fill("ITZ99")
    form.get_by_test_id("input-budget.amount").fill("1800000")
    form.get_by_test_id("contract_forms-epc").check()
    form.get_by_test_id("save-need").click()
    expect(form.get_by_test_id("error-nuts_code")).to_contain_text("ITZ99")
    expect(form.get_by_test_id("error-title")).to_have_text("")
    expect(form.get_by_test_id("input-title")).to_have_value("Semafori a LED in Barriera di Milano")
    expect(form.get_by_test_id("input-budget.amount")).to_have_value("1800000")
    expect(form.locator("[data-field=cpv_codes] .chip")).to_have_count(1)
    shoot(page, console, "03-need-form-error")
    form.get_by_test_id("picker-nuts_code").fill("Torino")
    form.locator("[data-field=nuts_code] .options [data-code=ITC11]").click()
    form.get_by_test_id("save-need").click()
    expect(page.get_by_test_id("need-title")).to_have_text("Semafori a LED in Barriera di Milano")
    expect(page).to_have_url(re.compile(r"#/needs/\d+$"))


def test_a_supplier_edits_its_profile_and_offers_and_sees_ranked_needs(
    page: Page, console: Console
) -> None:
    sign_in(page, console.key("lumenova"))
    profile = page.get_by_test_id("profile-form")
    description = profile.get_by_test_id("input-description")
    description.fill(description.input_value() + " Also smart poles with EV charging.")
    profile.get_by_test_id("save-profile").click()
    expect(profile).to_contain_text("Saved.")
    offer = page.get_by_test_id("new-offer")
    offer.get_by_test_id("input-title").fill("Smart pole with EV charger")
    offer.get_by_test_id("input-kind").select_option("product")
    offer.get_by_test_id("save-offer").click()
    expect(page.get_by_test_id("offers").get_by_test_id("input-title")).to_have_count(
        len(httpx_offers(console, "lumenova")) + 1
    )
    ranked = page.get_by_test_id("ranked-needs")
    expect(ranked.get_by_test_id("match").first).to_be_visible()
    expect(ranked.get_by_test_id("explanation").first).to_contain_text("#1")
    shoot(page, console, "04-supplier")
    offers = page.get_by_test_id("offers").locator("form[data-testid^='offer-']")
    before = offers.count()
    expect(offers.last.get_by_test_id("input-title")).to_have_value("Smart pole with EV charger")
    offers.last.get_by_test_id("delete-offer").click()
    expect(offers).to_have_count(before - 1)
    titles = {offer["title"] for offer in httpx_offers(console, "lumenova")}
    assert "Smart pole with EV charger" not in titles
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("nav-sign-in")).to_be_visible()


def httpx_offers(console: Console, organisation: str) -> list[dict]:
    answer = httpx.get(
        f"{console.stack.url('catalogue')}/v1/offers",
        params={"organisation_id": console.organisation_id(organisation), "limit": 500},
    )
    return answer.json()["items"]


def test_a_lender_registers_sets_thresholds_sees_bankability_and_its_deliveries(
    page: Page, console: Console, receiver: WebhookReceiver
) -> None:
    page.goto("/#/sign-in")
    register = page.get_by_test_id("register-form")
    register.get_by_test_id("input-organisation.kind").select_option("lender")
    register.get_by_test_id("input-organisation.name").fill("Banca del Po")
    register.get_by_test_id("input-contact_email").fill("credito@bancadelpo.example")
    register.get_by_test_id("register").click()
    expect(page.get_by_test_id("new-api-key")).to_have_text(re.compile(r"^cfk_"))
    expect(page.get_by_text("it is shown this once")).to_be_visible()
    page.get_by_test_id("continue").click()

    profile = page.get_by_test_id("profile-form")
    profile.get_by_test_id("picker-nuts_codes").fill("IT")
    profile.locator("[data-field=nuts_codes] .options [data-code=IT]").click()
    for form in ("epc", "ppp", "project_finance"):
        profile.get_by_test_id(f"contract_forms-{form}").check()
    profile.get_by_test_id("input-ticket.min.amount").fill("1000000")
    profile.get_by_test_id("input-ticket.max.amount").fill("60000000")
    profile.get_by_test_id("instruments-senior_debt").check()
    profile.get_by_test_id("input-min_dscr").fill("1.2")
    profile.get_by_test_id("input-target_irr").fill("0.06")
    profile.get_by_test_id("save-profile").click()
    expect(profile).to_contain_text("Saved.")
    # the index follows the catalogue feed: the ranking shows once it has the new profile
    page.reload()
    ranked = page.get_by_test_id("ranked-needs")
    expect(ranked.get_by_test_id("need-bankability").first).to_contain_text("DSCR")
    shoot(page, console, "05-lender-needs")

    page.goto("/#/subscriptions")
    form = page.get_by_test_id("subscription-form")
    form.get_by_test_id("input-url").fill(receiver.url)
    form.get_by_test_id("input-min_score").fill("0")
    form.get_by_test_id("create-subscription").click()
    expect(page.get_by_test_id("subscription-secret")).to_have_text(re.compile(r"^whsec_"))
    # a new need this lender can finance: a match event, delivered to the webhook
    created = httpx.post(
        f"{console.stack.url('catalogue')}/v1/needs",
        headers={"Authorization": f"Bearer {console.key('milano')}"},
        json={
            "title": "Illuminazione pubblica a LED nei parchi",
            "category": "public_lighting",
            "cpv_codes": ["34928500"],
            "nuts_code": "ITC4C",
            "budget": {"amount": 5_000_000, "currency": "EUR"},
            "contract_forms": ["epc"],
        },
    )
    assert created.status_code == 201, created.text
    delivery = page.get_by_test_id("delivery").first
    for _attempt in range(40):
        page.get_by_test_id("refresh-deliveries").first.click()
        if delivery.is_visible() and delivery.get_by_test_id("delivery-status").inner_text() == (
            "delivered"
        ):
            break
        page.wait_for_timeout(250)
    expect(delivery.get_by_test_id("delivery-status")).to_have_text("delivered")
    assert any(event["type"] == "match.created" for event in receiver.events())
    delivery.get_by_test_id("replay").click()
    expect(page.get_by_test_id("delivery").first).to_be_visible()
    shoot(page, console, "06-lender-deliveries")


def test_the_console_speaks_italian(page: Page, console: Console) -> None:
    page.goto("/")
    page.get_by_test_id("language").select_option("it")
    expect(page.locator("h1")).to_have_text("Programma Smart City")
    expect(page.get_by_test_id("open-needs")).to_contain_text("Illuminazione pubblica")
    # money by the Italian locale: 33.000.000 €
    expect(page.get_by_test_id("open-needs")).to_contain_text(re.compile(r"33\.000\.000\s€"))
    page.reload()
    expect(page.locator("h1")).to_have_text("Programma Smart City")
    shoot(page, console, "07-italiano")

"""XSS payloads entered through all three doors are shown as text on every page that shows them.

The payloads go in through the web form (chromium), the partner API (a key made by the intake
service) and the Excel import of paper forms (an .xlsx built here, uploaded and confirmed in the
admin UI). The ideas are then shortlisted and marked excellent through the workflow and the
results published, and chromium visits the receipt, the lookup, the admin list and each idea's
page, the dashboard, the city district's report and the public showcase with a dialog listener.
"""

import io
import json

import openpyxl
import pytest
from playwright.sync_api import expect

from suggestions.intake.channels import channel_key_create
from suggestions.intake.paper_import import HEADERS
from suggestions.models import Channel, Status, Suggestion
from tests.e2e.conftest import shot, staff_login
from tests.tallies.conftest import move

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

P1 = "<svg onload=alert(1)>"
P2 = '"><img src=x onerror=alert(2)>'
BODY = "建议在城区增设夜间公交线路，方便市民夜间出行和返家。"
# Markup a payload would create if any page rendered it unescaped.
INJECTED = "svg[onload], img[onerror]"


def _xlsx(title, content, name) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append([title, content, "城乡建设", "城区", "群众", name, "13700001111", "是"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _visit(page, url, watcher, *, texts=(), name=""):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for text in texts:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    assert page.locator(INJECTED).count() == 0, url
    watcher.check(page, url)
    shot(page, f"xss-{name}")


def test_payloads_from_form_api_and_excel_import_stay_text_on_every_page(
    live_server, browser, campaign, units, topic, personas, watcher, tmp_path
):
    base = live_server.url
    titles = {
        Channel.WEB: f"网页{P1}{P2}",
        Channel.MINI_PROGRAM: f"接口{P1}{P2}",
        Channel.PAPER: f"纸质{P1}{P2}",
    }

    # 1. The web form, as a citizen fills it.
    citizen = watcher.attach(
        browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    )
    citizen.goto(base + "/submit/")
    citizen.get_by_label("标题").fill(titles[Channel.WEB])
    citizen.get_by_label("建议内容").fill(f"{P1}{P2}{BODY}")
    citizen.get_by_label("主题").select_option(label=topic.name)
    citizen.locator("select#id_unit").select_option(label="城区")
    citizen.get_by_label("身份").select_option(label="群众")
    citizen.get_by_label("姓名（选填）").fill(P2)
    citizen.get_by_label("手机号码").fill("13900002222")
    citizen.get_by_label("同意在评选结果中公开展示我的建议（不含姓名和电话）").check()
    citizen.get_by_label("我已阅读并同意上方的个人信息处理说明").check()
    citizen.get_by_role("button", name="提交建议").click()
    web_receipt = citizen.locator("#receipt-number").inner_text()
    receipt_url = citizen.url
    assert "/submit/receipt/" in receipt_url

    # 2. The partner API with a key from the intake service.
    _key, raw_key = channel_key_create(name="xss-e2e")
    response = citizen.request.post(
        base + "/api/v1/suggestions/",
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
        data=json.dumps(
            {
                "title": titles[Channel.MINI_PROGRAM],
                "content": f"{P2}{P1}{BODY}",
                "topic": topic.pk,
                "unit": units["城区"].pk,
                "identity_type": "public",
                "name": P1,
                "phone": "13800003333",
                "publish_consent": True,
            }
        ),
    )
    assert response.status == 201, response.text()

    # 3. A paper form from Excel: uploaded, previewed and confirmed in the admin.
    admin = watcher.attach(
        browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    )
    staff_login(admin, base, "admin")
    upload = tmp_path / "paper-forms.xlsx"
    upload.write_bytes(_xlsx(titles[Channel.PAPER], f"{P1}{BODY}{P2}", P2))
    admin.goto(base + "/admin/suggestions/papersuggestion/import/")
    admin.locator("input[name=import_file]").set_input_files(str(upload))
    admin.locator("#content form input[type=submit]").click()
    expect(admin.get_by_role("button", name="确认导入")).to_be_visible()
    expect(admin.get_by_text(titles[Channel.PAPER]).first).to_be_visible()  # previewed as text
    assert admin.locator(INJECTED).count() == 0
    shot(admin, "xss-import-preview")
    admin.locator("input[type=submit][name=confirm]").click()
    # Back on the list of imported paper forms (a 500 until this branch), the row is text.
    admin.wait_for_url("**/admin/suggestions/papersuggestion/")
    expect(admin.get_by_text(titles[Channel.PAPER]).first).to_be_visible()
    assert admin.locator(INJECTED).count() == 0
    shot(admin, "xss-import-done")

    ideas = {idea.channel: idea for idea in Suggestion.objects.all()}
    assert sorted(ideas) == sorted(titles), "one idea per channel"
    for channel, idea in ideas.items():
        assert idea.title == titles[channel]  # stored as typed, not mangled
        assert P1 in idea.content and P2 in idea.content

    # 4. Decisions through the workflow; results published.
    move(list(ideas.values()), Status.SHORTLISTED, personas["admin"])
    move(list(ideas.values()), Status.EXCELLENT, personas["admin"])
    campaign.results_published = True
    campaign.save(update_fields=["results_published"])

    # 5. Every page that shows the ideas, in chromium.
    _visit(citizen, receipt_url, watcher, texts=[web_receipt], name="receipt")
    phones = {Channel.WEB: "2222", Channel.MINI_PROGRAM: "3333", Channel.PAPER: "1111"}
    for channel, idea in ideas.items():
        citizen.goto(base + "/lookup/")
        citizen.get_by_label("回执号").fill(idea.receipt)
        citizen.get_by_label("手机号后四位").fill(phones[channel])
        citizen.get_by_role("button", name="查询").click()
        expect(citizen.locator("#lookup-stage")).to_have_text("优秀金点子")
        assert citizen.locator(INJECTED).count() == 0
        shot(citizen, f"xss-lookup-{channel}")
    all_titles = list(titles.values())
    _visit(admin, base + "/admin/suggestions/suggestion/", watcher, texts=all_titles, name="desk")
    for channel, idea in ideas.items():
        _visit(
            admin,
            f"{base}/admin/suggestions/suggestion/{idea.pk}/change/",
            watcher,
            texts=[titles[channel], idea.content],
            name=f"idea-{channel}",
        )
    _visit(admin, base + "/dashboard/", watcher, name="dashboard")
    _visit(admin, f"{base}/reports/{units['城区'].pk}/", watcher, texts=all_titles, name="report")
    _visit(citizen, base + "/ideas/", watcher, texts=all_titles, name="showcase")
    for idea in ideas.values():
        expect(citizen.get_by_text(idea.content).first).to_be_visible()

    assert watcher.dialogs == []
    assert watcher.problems == []

"""The web chat and the staff console in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlmodel import select

from bot.seed import DEMO_COMMUNE, DEMO_PROVINCE, hash_password, seed_demo
from storage.db import session_scope
from storage.models import FaqEntry, FaqQuery, StaffUser, Unit
from tests.harness import running_hub

CHROMIUM = os.environ.get("COSO_TEST_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed")

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:  # Playwright gives the browser a fresh temporary profile
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def demo(tmp_path):
    async with running_hub(f"sqlite:///{tmp_path / 'hub.db'}") as h:
        async with session_scope(h.hub.sessions) as s:
            await seed_demo(s)
        yield h


def url(h, path: str) -> str:
    return str(h.client.make_url(path))


async def test_web_chat_menu_and_faq_in_browser(demo, browser):
    page = await browser.new_page()
    await page.goto(url(demo, "/chat"))
    # The widget greets with the menu as buttons.
    faq_button = page.get_by_role("button", name="Hỏi đáp thủ tục")
    await faq_button.wait_for(timeout=15000)
    await faq_button.click()
    await page.get_by_text("Gõ không dấu cũng được").wait_for(timeout=15000)
    await page.get_by_label("Nội dung tin nhắn").fill("cho em hoi lam giay khai sinh cho con can gi a")
    await page.get_by_role("button", name="Gửi", exact=True).click()
    answer = page.locator(".coso-bot", has_text="📌")
    await answer.first.wait_for(timeout=15000)
    assert "khai sinh" in (await answer.first.inner_text()).lower()
    await page.screenshot(path=os.environ.get("COSO_SCREENSHOT", "/tmp/coso-chat.png"))


async def log_in(page, username: str, password: str) -> None:
    """Fill the login form the way staff do and submit it."""
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()


async def test_console_login_and_unit_scope(demo, browser):
    async with session_scope(demo.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        province = (await s.exec(select(Unit).where(Unit.code == DEMO_PROVINCE))).one()
        other = Unit(code="XA-KHAC", name="UBND xã Khác", kind="commune", parent_id=province.id)
        s.add(other)
        await s.flush()
        s.add(StaffUser(username="canbo", full_name="Nguyễn Văn A", password_hash=hash_password("mk-canbo-1"),
                        role="staff", unit_id=commune.id))
        s.add(StaffUser(username="tinh", password_hash=hash_password("mk-tinh-1"), role="province_officer",
                        unit_id=province.id))
        s.add(FaqQuery(unit_id=commune.id, text="Hỏi của xã Demo về đất đai", outcome="handover"))
        s.add(FaqQuery(unit_id=other.id, text="Hỏi của xã Khác về điện", outcome="handover"))

    page = await browser.new_page()
    await page.goto(url(demo, "/console"))
    assert page.url.endswith("/login")
    await log_in(page, "canbo", "sai-mat-khau")
    await page.get_by_role("alert").wait_for()
    assert "Sai tên đăng nhập hoặc mật khẩu" in await page.get_by_role("alert").inner_text()

    await page.get_by_label("Mật khẩu").fill("mk-canbo-1")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_text("Câu hỏi chuyển cho cán bộ").wait_for()
    content = await page.content()
    assert "Hỏi của xã Demo về đất đai" in content
    assert "Hỏi của xã Khác" not in content  # another commune's data is never shown
    await page.get_by_role("button", name="Đăng xuất").click()
    await page.wait_for_url("**/login")
    await page.goto(url(demo, "/console"))
    assert page.url.endswith("/login")

    await log_in(page, "tinh", "mk-tinh-1")
    await page.get_by_text("Câu hỏi chuyển cho cán bộ").wait_for()
    content = await page.content()
    assert "Hỏi của xã Demo về đất đai" in content and "Hỏi của xã Khác về điện" in content


async def test_console_faq_edit_try_and_review_in_browser(demo, browser):
    async with session_scope(demo.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        s.add(StaffUser(username="canbo", password_hash=hash_password("mk-canbo-1"), role="staff", unit_id=commune.id))
        s.add(FaqQuery(unit_id=commune.id, text="lich tiem phong dai cho cho o dau", normalized="lich tiem phong dai",
                       outcome="unanswered"))

    page = await browser.new_page()
    await page.goto(url(demo, "/login"))
    await log_in(page, "canbo", "mk-canbo-1")
    await page.get_by_role("link", name="Hỏi đáp", exact=True).click()
    await page.get_by_role("link", name="Thêm mục mới").click()
    await page.get_by_label("Câu hỏi", exact=True).fill("Lịch tiêm phòng dại cho chó mèo?")
    await page.get_by_role("button", name="Lưu").click()
    assert "Cần nhập câu trả lời." in await page.get_by_role("alert").inner_text()  # the form keeps what was typed
    assert await page.get_by_label("Câu hỏi", exact=True).input_value() == "Lịch tiêm phòng dại cho chó mèo?"
    await page.get_by_label("Câu trả lời").fill("Tiêm tại nhà văn hoá thôn ngày 15/3, mang theo sổ tiêm.")
    await page.get_by_role("button", name="Lưu").click()
    await page.get_by_role("status").wait_for()
    assert "Đã lưu mục hỏi đáp." in await page.get_by_role("status").inner_text()

    await page.get_by_label("Câu hỏi như người dân gõ").fill("tiem dai cho meo khi nao")
    await page.get_by_role("button", name="Thử").click()
    assert "Lịch tiêm phòng dại" in await page.locator("table").inner_text()

    await page.get_by_role("link", name="Câu hỏi cần xem", exact=True).first.click()
    await page.get_by_text("lich tiem phong dai cho cho o dau").wait_for()
    await page.get_by_label("Câu hỏi này thuộc mục").select_option(label="Lịch tiêm phòng dại cho chó mèo?")
    await page.get_by_role("button", name="Lưu").click()
    await page.get_by_text("Không còn câu hỏi nào cần xem.").wait_for()
    async with demo.hub.sessions() as s:
        entry = (await s.exec(select(FaqEntry).where(FaqEntry.question == "Lịch tiêm phòng dại cho chó mèo?"))).one()
    assert entry.variants == ["lich tiem phong dai cho cho o dau"]
    await page.screenshot(path=os.environ.get("COSO_CONSOLE_SCREENSHOT", "/tmp/coso-console-faq.png"), full_page=True)

    # An answer the bot gave with the new entry waits for a spot check; staff confirm it.
    async with session_scope(demo.hub.sessions) as s:
        s.add(FaqQuery(unit_id=commune.id, text="bao gio tiem dai cho cho", normalized="bao gio tiem dai cho",
                       outcome="answered", best_entry_id=entry.id, score=0.93))
    await page.reload()
    await page.get_by_text("bao gio tiem dai cho cho").wait_for()
    assert await page.get_by_label("Mục đúng cho câu hỏi này").input_value() == str(entry.id)  # the bot's answer
    await page.get_by_role("button", name="Xác nhận").click()
    await page.get_by_text("Không có câu trả lời mới nào cần kiểm tra.").wait_for()
    assert "1 đúng (100%)" in await page.locator("#answer-quality").inner_text()


async def test_staff_answer_a_handed_over_question_and_the_citizen_reads_it(demo, browser):
    async with session_scope(demo.hub.sessions) as s:
        commune = (await s.exec(select(Unit).where(Unit.code == DEMO_COMMUNE))).one()
        s.add(StaffUser(username="canbo", password_hash=hash_password("mk-canbo-1"), role="staff", unit_id=commune.id))

    chat = await browser.new_page()
    await chat.goto(url(demo, "/chat"))
    await chat.get_by_role("button", name="Hỏi đáp thủ tục").wait_for(timeout=15000)
    await chat.get_by_label("Nội dung tin nhắn").fill("xa minh co to chuc lop day boi cho tre he nay ko")
    await chat.get_by_role("button", name="Gửi", exact=True).click()
    handover = chat.get_by_role("button", name="Gửi câu hỏi cho cán bộ")
    await handover.last.wait_for(timeout=15000)
    await handover.last.click()
    await chat.get_by_text("đã được chuyển tới cán bộ").wait_for(timeout=15000)

    console = await browser.new_page()
    await console.goto(url(demo, "/login"))
    await log_in(console, "canbo", "mk-canbo-1")
    await console.get_by_text("lop day boi cho tre").wait_for()
    answer = "Chào bạn, lớp dạy bơi miễn phí mở từ 1/6 tại hồ văn hoá thôn Đông; đăng ký với trưởng thôn."
    await console.get_by_label("Trả lời người dân").fill(answer)
    await console.get_by_role("button", name="Gửi trả lời").click()
    await console.get_by_text(answer).wait_for()
    await chat.locator(".coso-bot", has_text="lớp dạy bơi miễn phí").wait_for(timeout=15000)
    await console.reload()
    await console.get_by_text("đã gửi tới người dân").wait_for(timeout=15000)
    await console.screenshot(path=os.environ.get("COSO_HANDOVER_SCREENSHOT", "/tmp/coso-console-handover.png"),
                             full_page=True)

"""The main menu: greeting, the four entry points, and "menu"/"bắt đầu"/"/start"."""

from __future__ import annotations

from connectors.base import Button, EventKind, Outbound
from handlers.base import Context, fold

FAQ = "#faq"
REPORT = "#report"
LOOKUP = "#lookup"
SUBSCRIBE = "#subscribe"
MENU = "#menu"

MENU_BUTTONS = [
    Button("Hỏi đáp thủ tục", FAQ),
    Button("Gửi phản ánh", REPORT),
    Button("Tra cứu phản ánh", LOOKUP),
    Button("Đăng ký nhận tin", SUBSCRIBE),
]

#: What citizens type to get the menu (compared after folding accents and case).
MENU_WORDS = {"menu", "bat dau", "/start", "start", "#menu", "quay lai", "trang chu", "menu chinh", "bắt đầu"}


def menu_message(unit_name: str, intro: str | None = None) -> Outbound:
    text = intro or (f"Xin chào! Đây là kênh thông tin của {unit_name}. "
                     "Bạn cần hỗ trợ việc gì? Hãy chọn một mục bên dưới hoặc gõ câu hỏi của bạn.")
    return Outbound(text=text, buttons=list(MENU_BUTTONS))


def is_menu_request(ctx: Context) -> bool:
    if ctx.event.kind == EventKind.FOLLOW:
        return True
    if ctx.payload == MENU:
        return True
    return ctx.event.kind == EventKind.TEXT and fold(ctx.text) in {fold(w) for w in MENU_WORDS}


async def show_menu(ctx: Context) -> list[Outbound]:
    ctx.set_state()
    return [menu_message(ctx.unit.name)]


# Until the ticket and subscription issues land, each entry point says what it will do.
COMING = {
    REPORT: ("Gửi phản ánh, kiến nghị: sắp tới bạn có thể gửi phản ánh kèm hình ảnh, vị trí ngay tại đây "
             "và nhận một mã số để tra cứu kết quả xử lý. Tính năng này đang được hoàn thiện; trong lúc chờ, "
             "bạn vui lòng liên hệ trực tiếp bộ phận một cửa của {unit}."),
    LOOKUP: ("Tra cứu phản ánh: sắp tới bạn có thể gõ mã phản ánh (ví dụ PA-2026-000123) để xem tình trạng "
             "xử lý. Tính năng này đang được hoàn thiện."),
    SUBSCRIBE: ("Đăng ký nhận tin: sắp tới bạn có thể chọn thôn/tổ dân phố của mình để nhận thông báo, "
                "lịch cắt điện, cảnh báo thiên tai từ {unit}. Tính năng này đang được hoàn thiện."),
}


def is_coming_soon(ctx: Context) -> bool:
    return ctx.payload in COMING


async def coming_soon(ctx: Context) -> list[Outbound]:
    text = COMING[ctx.payload or ""].format(unit=ctx.unit.name)
    return [Outbound(text=text, buttons=[Button("Về menu chính", MENU)])]

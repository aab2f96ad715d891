"""The citizen conversation: which handler answers what, in order."""

from __future__ import annotations

from connectors.base import Button, EventKind, Outbound
from handlers import menu
from handlers.base import Context, Dispatcher, FnHandler

FAQ_PROMPT = ("Hỏi đáp thủ tục: bạn hãy gõ câu hỏi của mình, ví dụ “làm căn cước công dân cần giấy tờ gì”, "
              "“đăng ký khai sinh cho con”, “xin xác nhận tình trạng hôn nhân”. Gõ không dấu cũng được ạ.")

NOT_UNDERSTOOD = ("Xin lỗi, mình chưa hiểu ý bạn. Bạn có thể chọn một mục bên dưới, "
                  "hoặc gõ “menu” để xem lại các lựa chọn.")


def _is_payload(value: str):
    return lambda ctx: ctx.payload == value


async def faq_prompt(ctx: Context) -> list[Outbound]:
    ctx.set_state(mode="faq")
    return [Outbound(text=FAQ_PROMPT, buttons=[Button("Về menu chính", menu.MENU)])]


async def not_understood(ctx: Context) -> list[Outbound]:
    return [menu.menu_message(ctx.unit.name, intro=NOT_UNDERSTOOD)]


async def info_received(ctx: Context) -> list[Outbound]:
    """Zalo's "share your information" form: keep the name and phone the citizen chose to give."""
    info = ctx.event.info or {}
    if isinstance(info.get("name"), str) and info["name"].strip():
        ctx.citizen.display_name = info["name"].strip()[:255]
    if isinstance(info.get("phone"), str) and info["phone"].strip():
        ctx.citizen.phone = info["phone"].strip()[:32]
    ctx.identity.consent = True
    ctx.session.add(ctx.citizen)
    return [Outbound(text="Cảm ơn bạn! Xã đã nhận thông tin liên hệ của bạn để tiện trao đổi khi cần.",
                     buttons=[Button("Về menu chính", menu.MENU)])]


def _is_conversational(ctx: Context) -> bool:
    return ctx.event.kind in (EventKind.TEXT, EventKind.POSTBACK, EventKind.ATTACHMENT, EventKind.LOCATION)


def build_dispatcher() -> Dispatcher:
    from handlers.faq_chat import FaqHandler, FaqPostbackHandler

    return Dispatcher([
        FnHandler(menu.is_menu_request, menu.show_menu),
        FnHandler(lambda ctx: ctx.event.kind == EventKind.SUBMIT_INFO, info_received),
        FnHandler(_is_payload(menu.FAQ), faq_prompt),
        FnHandler(menu.is_coming_soon, menu.coming_soon),
        FaqPostbackHandler(),
        FaqHandler(),  # any other text is a question
        FnHandler(_is_conversational, not_understood),
    ])

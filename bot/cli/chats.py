"""``digestbot subscribe|unsubscribe @channel|ID`` and ``digestbot chats list``: the chats the
operator subscribes from the terminal."""

from __future__ import annotations

from bot.cli.command import Call, arg, command, run_async

TARGET = arg(
    "target",
    en="@channel username or numeric chat ID",
    ar="اسم القناة ‎@username أو رقم المحادثة",
)


@command(
    "subscribe",
    en="subscribe a Telegram channel or chat by @username or numeric ID",
    ar="اشتراك قناة أو محادثة تيليغرام باسمها ‎@username أو رقمها",
    args=(
        TARGET,
        arg(
            "--lang",
            choices=("ar", "en", "both"),
            en="digest language: ar, en or both (default: keep, or en)",
            ar="لغة الموجز: ar أو en أو both (الافتراضي: كما هي، أو en)",
        ),
    ),
)
def subscribe(call: Call) -> int:
    return run_async(_subscription(call, subscribe=True))


@command(
    "unsubscribe",
    en="unsubscribe a Telegram channel or chat by @username or numeric ID",
    ar="إلغاء اشتراك قناة أو محادثة تيليغرام باسمها ‎@username أو رقمها",
    args=(TARGET,),
)
def unsubscribe(call: Call) -> int:
    return run_async(_subscription(call, subscribe=False))


@command(
    "chats",
    en="list the known chats with their subscription and settings",
    ar="عرض المحادثات المعروفة مع اشتراكها وإعداداتها",
    args=(arg("action", choices=("list",), en="what to do: list", ar="الإجراء: list"),),
)
def chats(call: Call) -> int:
    from bot.app.container import services
    from bot.ops import chats_admin

    async def run() -> None:
        async with services(call.settings) as svc:
            chats_admin.list_chats(svc.state, call.out)

    run_async(run())
    return 0


async def _subscription(call: Call, *, subscribe: bool) -> int:
    from bot.app.container import services
    from bot.ops import chats_admin

    settings = call.settings
    async with services(settings) as svc:
        found = await svc.platforms.find_chat(call.args.target, settings)
        if subscribe:
            chat = chats_admin.subscribe(svc.state, found, call.args.lang, svc.now())
            call.out.write(f"subscribed: {chat.chat_id} {chat.title} ({chat.lang})\n")
        else:
            chats_admin.unsubscribe(svc.state, found)
            call.out.write(f"unsubscribed: {found.chat_id}\n")
    return 0

"""The ``digestbot`` command line. Every command's help is given in English and Arabic."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import __version__
from bot.config import Settings, load_settings
from bot.errors import DigestbotError, StoreError
from bot.ops.logs import Redactor, redact_secrets, setup_logging

if TYPE_CHECKING:
    from bot.pipeline.poller import PollReport

# name → (English help, Arabic help)
COMMAND_HELP: dict[str, tuple[str, str]] = {
    "demo": (
        "run the whole pipeline on bundled sample feeds and print the digest"
        " (no token, no internet)",
        "تشغيل المسار كاملًا على خلاصات تجريبية مرفقة وطباعة الموجز (بلا رمز ولا إنترنت)",
    ),
    "once": (
        "poll the feeds once, summarize, and send the due digests (to Telegram and Discord,"
        " or print them)",
        "جلب الخلاصات مرة واحدة والتلخيص وإرسال الموجزات المستحقة (إلى تيليغرام وديسكورد"
        " أو طباعتها)",
    ),
    "run": (
        "run the bot: scheduler, every configured channel and the health endpoint, until"
        " SIGTERM or Ctrl+C",
        "تشغيل البوت: المجدول وكل القنوات المضبوطة ونقطة فحص الحالة حتى إشارة SIGTERM أو Ctrl+C",
    ),
    "search": (
        "search the archive in Arabic or English",
        "البحث في الأرشيف بالعربية أو الإنجليزية",
    ),
    "check-config": (
        "validate the config file and the environment, then exit",
        "التحقق من ملف الإعدادات ومتغيرات البيئة ثم الخروج",
    ),
    "classify": (
        "run the topic filter on a JSON-lines file (or --text) and print one verdict per item",
        "تشغيل مرشح الموضوع على ملف JSON-lines (أو ‎--text) وطباعة حكم لكل عنصر",
    ),
    "stats": (
        "archive size, feeds, subscribed chats, outbox, and LLM calls and tokens per day",
        "حجم الأرشيف والخلاصات والمحادثات المشتركة وصندوق الإرسال واستدعاءات النموذج ورموزه يوميًا",
    ),
    "status": (
        "is the bot doing well: feeds OK and failing, last poll, last digest per chat,"
        " outbox backlog, LLM calls and tokens today",
        "حالة البوت: الخلاصات السليمة والمتعثرة وآخر جلب وآخر موجز لكل محادثة"
        " وما ينتظر في صندوق الإرسال واستدعاءات النموذج ورموزه اليوم",
    ),
    "feeds": (
        "list, add, remove, enable, import or export feeds, and show their status",
        "عرض الخلاصات وإضافتها وحذفها وتفعيلها واستيرادها وتصديرها وعرض حالتها",
    ),
    "subscribe": (
        "subscribe a Telegram channel or chat by @username or numeric ID",
        "اشتراك قناة أو محادثة تيليغرام باسمها ‎@username أو رقمها",
    ),
    "unsubscribe": (
        "unsubscribe a Telegram channel or chat by @username or numeric ID",
        "إلغاء اشتراك قناة أو محادثة تيليغرام باسمها ‎@username أو رقمها",
    ),
    "chats": (
        "list the known chats with their subscription and settings",
        "عرض المحادثات المعروفة مع اشتراكها وإعداداتها",
    ),
    "export": (
        "write the chats (subscriptions, settings) and the feeds to a JSON file",
        "كتابة المحادثات (الاشتراكات والإعدادات) والخلاصات في ملف JSON",
    ),
    "import": (
        "add or update the chats and feeds of a file made by 'export'; an invalid file"
        " changes nothing",
        "إضافة المحادثات والخلاصات من ملف أنشأه الأمر 'export' أو تحديثها؛"
        " الملف غير الصالح لا يغير شيئًا",
    ),
}

FEEDS_HELP: dict[str, tuple[str, str]] = {
    "list": ("list the feeds that are polled", "عرض الخلاصات التي تُجلب"),
    "status": (
        "last fetch, HTTP status, items, errors and next poll of each feed",
        "آخر جلب وحالة HTTP والعناصر والأخطاء وموعد الجلب التالي لكل خلاصة",
    ),
    "add": ("add a feed by URL", "إضافة خلاصة برابطها"),
    "remove": ("remove a feed added with 'feeds add'", "حذف خلاصة أضيفت بالأمر 'feeds add'"),
    "enable": ("turn a disabled feed back on", "إعادة تفعيل خلاصة معطلة"),
    "import": ("add the feeds of an OPML file", "إضافة خلاصات ملف OPML"),
    "export": ("print every feed as OPML", "طباعة كل الخلاصات بصيغة OPML"),
}

OPTION_HELP: dict[str, tuple[str, str]] = {
    "config": ("config file (default ./config.toml)", "ملف الإعدادات (الافتراضي ./config.toml)"),
    "data_dir": (
        "where the state and archive live (overrides [storage] data_dir)",
        "مكان حفظ الحالة والأرشيف (يتجاوز [storage] data_dir)",
    ),
    "demo_config": (
        "a config whose [llm] and [topic] the demo uses (not its feeds, channels or data"
        " folder); default: none, offline summaries",
        "ملف إعدادات يأخذ منه العرض قسمي [llm] و[topic] فقط (لا الخلاصات ولا القنوات ولا مجلد"
        " البيانات)؛ الافتراضي: لا شيء، وملخصات دون اتصال",
    ),
    "demo_data_dir": (
        "keep the demo's archive in this folder (same as --keep); default: a temporary"
        " folder, deleted at the end",
        "حفظ أرشيف العرض في هذا المجلد (مثل ‎--keep)؛ الافتراضي: مجلد مؤقت يُحذف في النهاية",
    ),
    "keep": (
        "keep the demo's archive in DIR, so that 'digestbot search --data-dir DIR …' finds"
        " its articles",
        "حفظ أرشيف العرض في المجلد DIR ليجد الأمر 'digestbot search --data-dir DIR …' مقالاته",
    ),
    "verbose": ("log more (debug)", "سجل أكثر تفصيلًا"),
    "query": ("words to look for", "الكلمات المطلوب البحث عنها"),
    "limit": ("how many results (default 10)", "عدد النتائج (الافتراضي 10)"),
    "jsonl": (
        'JSON lines {"id", "title", "summary"?, "content"?, "lang"?}; - for standard input',
        'أسطر JSON بالحقول {"id", "title", "summary"?, "content"?, "lang"?}؛ - للإدخال القياسي',
    ),
    "text": ("classify this one text instead of a file", "تصنيف هذا النص وحده بدل ملف"),
    "url": ("the feed's URL", "رابط الخلاصة"),
    "name": ("the outlet's name shown in digests", "اسم المنفذ كما يظهر في الموجزات"),
    "lang": ("the feed's language: ar or en", "لغة الخلاصة: ar أو en"),
    "opml": ("the OPML file", "ملف OPML"),
    "json": (
        "print one JSON document, for scripts",
        "طباعة مستند JSON واحد للاستخدام في السكربتات",
    ),
    "force": (
        "poll every enabled feed now, even those not due yet",
        "جلب كل الخلاصات المفعلة الآن حتى غير المستحقة",
    ),
    "target": ("@channel username or numeric chat ID", "اسم القناة ‎@username أو رقم المحادثة"),
    "chat_lang": (
        "digest language: ar, en or both (default: keep, or en)",
        "لغة الموجز: ar أو en أو both (الافتراضي: كما هي، أو en)",
    ),
    "chats_action": ("what to do: list", "الإجراء: list"),
    "export_file": (
        "the JSON file to write; - for standard output",
        "ملف JSON المطلوب كتابته؛ - للإخراج القياسي",
    ),
    "import_file": (
        "the JSON file made by 'digestbot export'; - for standard input",
        "ملف JSON الذي أنشأه 'digestbot export'؛ - للإدخال القياسي",
    ),
}


def bilingual(name: str, table: dict[str, tuple[str, str]] = COMMAND_HELP) -> str:
    english, arabic = table[name]
    return f"{english} / {arabic}"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to 1000, not {text!r}")
    return value


def _common(parser: argparse.ArgumentParser, *, top: bool = False, demo: bool = False) -> None:
    """The options every command takes, before or after its name (``digestbot --config c.toml
    once`` and ``digestbot once --config c.toml``). Only the top level has defaults: a command's
    own copies leave an option unset when it is not given after the command's name, so they
    never undo a value given before it."""
    unset: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    config_help = "demo_config" if demo else "config"
    data_help = "demo_data_dir" if demo else "data_dir"
    parser.add_argument("--config", type=Path, help=bilingual(config_help, OPTION_HELP), **unset)
    parser.add_argument("--data-dir", help=bilingual(data_help, OPTION_HELP), **unset)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help=bilingual("verbose", OPTION_HELP), **unset
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description=(
            "Russia–North Korea news digests in Arabic and English, for Telegram and Discord. / "
            "موجزات أخبار العلاقات الروسية الكورية الشمالية بالعربية والإنجليزية على تيليغرام"
            " وديسكورد."
        ),
    )
    parser.add_argument("--version", action="version", version=f"digestbot {__version__}")
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_HELP:
        sub = commands.add_parser(name, help=bilingual(name), description=bilingual(name))
        _common(sub, demo=name == "demo")
        if name == "demo":
            sub.add_argument("--keep", metavar="DIR", help=bilingual("keep", OPTION_HELP))
        elif name == "search":
            sub.add_argument("query", nargs="+", help=bilingual("query", OPTION_HELP))
            sub.add_argument(
                "--limit", type=_positive, default=10, help=bilingual("limit", OPTION_HELP)
            )
        elif name == "once":
            sub.add_argument("--force", action="store_true", help=bilingual("force", OPTION_HELP))
        elif name == "classify":
            sub.add_argument("file", nargs="?", help=bilingual("jsonl", OPTION_HELP))
            sub.add_argument("--text", help=bilingual("text", OPTION_HELP))
        elif name == "feeds":
            _feeds_parser(sub)
        elif name == "status":
            sub.add_argument("--json", action="store_true", help=bilingual("json", OPTION_HELP))
        elif name in ("subscribe", "unsubscribe"):
            sub.add_argument("target", help=bilingual("target", OPTION_HELP))
            if name == "subscribe":
                sub.add_argument(
                    "--lang", choices=("ar", "en", "both"), help=bilingual("chat_lang", OPTION_HELP)
                )
        elif name == "chats":
            sub.add_argument(
                "action", choices=("list",), help=bilingual("chats_action", OPTION_HELP)
            )
        elif name in ("export", "import"):
            sub.add_argument("file", help=bilingual(f"{name}_file", OPTION_HELP))
    return parser


def _feeds_parser(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in FEEDS_HELP:
        sub = actions.add_parser(
            action, help=bilingual(action, FEEDS_HELP), description=bilingual(action, FEEDS_HELP)
        )
        _common(sub)
        if action in ("add", "remove", "enable"):
            sub.add_argument("url", help=bilingual("url", OPTION_HELP))
        if action == "add":
            sub.add_argument("--name", help=bilingual("name", OPTION_HELP))
            sub.add_argument("--lang", choices=("ar", "en"), help=bilingual("lang", OPTION_HELP))
        if action == "import":
            sub.add_argument("opml", type=Path, help=bilingual("opml", OPTION_HELP))


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config, data_dir=args.data_dir)
    args.redact = redact_secrets(settings, verbose=args.verbose)
    return settings


DEFAULT_FEEDS_FOR = frozenset({"once", "run", "status", "stats", "feeds", "check-config"})
"""The commands that poll the feeds or report on them. ``export`` is not one: the built-in
list is this install's default, not feeds to carry to another."""


def _bot_settings(args: argparse.Namespace) -> Settings:
    """The settings of every command but the demo: for those that poll or report on the feeds,
    a config that lists none means the built-in ones (announced in the log by the commands
    that poll)."""
    from bot.ops.feeds_admin import with_default_feeds

    args.defaults = False
    settings = _settings(args)
    if not settings.feeds and args.command in DEFAULT_FEEDS_FOR:
        args.defaults = True
        settings = with_default_feeds(settings, announce=args.command in ("once", "run"))
    return settings


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import daemon as runner  # heavy imports only once a command runs

    if args.command == "demo":
        # The demo runs on embedded defaults; a config given by name adds its [llm] and [topic].
        base = _settings(args) if args.config else None
        keep = args.keep or args.data_dir
        asyncio.run(runner.demo(out, base=base, data_dir=keep))
        return 0
    settings = _bot_settings(args)
    # a damaged page or a file turned read-only shows up at the first query touching it: the
    # archive raises StoreError for it (bot.store.boundary), reported as any DigestbotError
    return _command(args, settings, out)


def _command(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.app import daemon as runner

    if args.command == "check-config":
        return _check_config(args, settings, out)
    if args.command == "search":
        if _bad_search_filters(" ".join(args.query)):
            return 2
        found = asyncio.run(runner.search(settings, " ".join(args.query), args.limit, out))
        if not found:
            out.write("no results / لا نتائج\n")
        return 0
    if args.command == "classify":
        return _classify(args, settings, out)
    if args.command == "stats":
        asyncio.run(runner.stats(settings, out))
        return 0
    if args.command == "status":
        healthy = asyncio.run(runner.status(settings, out, as_json=args.json))
        return 0 if healthy else 1  # the Docker HEALTHCHECK runs this
    if args.command == "feeds":
        return asyncio.run(runner.feeds(settings, args, out))
    if args.command in ("subscribe", "unsubscribe", "chats"):
        return asyncio.run(runner.chats(settings, args, out))
    if args.command in ("export", "import"):
        return _transfer(args, settings, out)
    if args.command == "once":
        progress = sys.stderr.isatty() and not args.verbose
        report = asyncio.run(runner.once(settings, out, force=args.force, progress=progress))
        logging.getLogger("digestbot").info(
            "once: %d new items, %d relevant, %d parts queued, %d sent, %d feeds failed",
            report.poll.new_items,
            report.poll.relevant,
            report.queued,
            report.delivery.sent,
            report.poll.feeds_failed,
        )
        return _once_code(report.poll)
    if args.command == "run":
        asyncio.run(runner.run_forever(settings))
        return 0
    raise AssertionError(args.command)


def _check_config(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Validate the settings, the topic file and the data folder, creating nothing: the stores
    are read as ``status`` reads them, and a folder that does not exist yet only has to be
    one that the first run can create."""
    from bot.app.container import build_matcher
    from bot.app.daemon import reading
    from bot.config import DEFAULT_CONFIG_PATH

    build_matcher(settings)  # the topic file loads
    _check_writable(settings.data_dir)
    with reading(settings):
        pass  # the state file and the archive read cleanly (or are not there yet)
    if args.config is not None:
        where = str(args.config)
    elif DEFAULT_CONFIG_PATH.exists():
        where = f"{DEFAULT_CONFIG_PATH} (the default config)"
    else:
        where = "defaults (no config.toml)"
    feeds = f"{len(settings.feeds)} feeds" + (" (built-in list)" if args.defaults else "")
    on = {True: "on", False: "off"}
    out.write(
        f"{where}: OK — {feeds}, Telegram {on[settings.telegram.enabled]}, Discord"
        f" {on[settings.discord.enabled or bool(settings.discord.webhooks)]},"
        f" LLM {on[settings.llm.enabled]}; data folder {settings.data_dir}\n"
    )
    return 0


def _check_writable(folder: Path) -> None:
    """The data folder, or the nearest folder above it when it does not exist yet, must be one
    this user may write in (run and once write there)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise StoreError(
            f"{folder}: cannot use this data folder: {existing} is not a folder this user"
            " may write in"
        )


def _once_code(poll: PollReport) -> int:
    """1 when feeds were polled and not one could be fetched (cron mails a failing job, and a
    bot that reads nothing must not look fine); 0 otherwise, also when no feed was due."""
    if poll.polled and poll.feeds_failed == poll.polled:
        print(
            f"digestbot: none of the {poll.polled} feeds polled could be fetched; their errors:"
            f" 'digestbot feeds status' / تعذر جلب كل الخلاصات ({poll.polled})؛ أخطاؤها:"
            " 'digestbot feeds status'",
            file=sys.stderr,
        )
        return 1
    return 0


def _classify(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """One JSON line per input line, in order; a bad line gets an error line, never a stop."""
    from bot.app.container import build_matcher
    from bot.topic.classify import classify_jsonl, classify_text

    if (args.file is None) == (args.text is None):
        raise DigestbotError("classify takes a JSON-lines file or --text, one of the two")
    matcher = build_matcher(settings)
    if args.text is not None:
        out.write(json.dumps(classify_text(args.text, matcher), ensure_ascii=False) + "\n")
        return 0
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise DigestbotError(f"{args.file}: cannot be read: {exc.strerror}") from None
    failed = 0
    with stream:
        try:
            for line, ok in classify_jsonl(stream, matcher):
                out.write(line + "\n")
                failed += not ok
        except UnicodeDecodeError as exc:
            raise DigestbotError(f"{args.file}: not UTF-8 text ({exc.reason})") from None
    if failed:
        print(f"digestbot: {failed} lines could not be classified", file=sys.stderr)
    return 1 if failed else 0


def _transfer(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``digestbot export FILE`` and ``digestbot import FILE`` (``-``: standard streams);
    what was done goes to standard error, so that ``export -`` prints the document alone."""
    from bot.app import daemon as runner

    if args.command == "export":
        done = asyncio.run(runner.export_data(settings, args.file, out))
    else:
        try:
            raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        except OSError as exc:
            raise DigestbotError(f"{args.file}: cannot be read: {exc.strerror or exc}") from None
        source = "standard input" if args.file == "-" else args.file
        done = asyncio.run(runner.import_data(settings, source, raw))
    print(done, file=sys.stderr)
    return 0


def _bad_search_filters(query: str) -> bool:
    """Explain, in both languages like the rest of the command line, filters that cannot be
    used (``since:2024-13-45``); True when there were any."""
    from bot.i18n import LANGS, Catalog
    from bot.search.help import bad_filters, bad_filters_message

    bad = bad_filters(query)
    if bad:
        catalog = Catalog.load()
        # an error: standard error, like every other one; the chat's example command becomes
        # the terminal's
        text = "\n\n".join(bad_filters_message(catalog, lang, bad) for lang in LANGS)
        print(text.replace("/search ", "digestbot search "), file=sys.stderr)
    return bool(bad)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    args.redact = Redactor([])
    out = out or sys.stdout
    try:
        code = _dispatch(args, out)
        out.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        # The reader stopped reading (``digestbot search … | head -1``): it has what it wanted.
        # Nothing more is written to it, not even at exit; 141 is what a shell reports for a
        # program stopped by SIGPIPE.
        _discard_stdout()
        return 141
    except DigestbotError as exc:
        print(f"digestbot: {args.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        # A bug, not a user error: the traceback goes through the redacting log formatter.
        logging.getLogger("digestbot").exception("digestbot stopped on an unexpected error")
        return 1


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # no file descriptor behind sys.stdout (a test's buffer): nothing to flush later

"""The ``digestbot`` command line. Every command's help is given in English and Arabic."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot import __version__
from bot.config import Settings, load_settings
from bot.errors import DigestbotError
from bot.logs import redact_secrets, setup_logging

# name → (English help, Arabic help)
COMMAND_HELP: dict[str, tuple[str, str]] = {
    "demo": (
        "run the whole pipeline on bundled sample feeds and print the digest"
        " (no token, no internet)",
        "تشغيل المسار كاملًا على خلاصات تجريبية مرفقة وطباعة الموجز (بلا رمز ولا إنترنت)",
    ),
    "once": (
        "poll the feeds once, summarize, and send the due digests (to Telegram, or print them)",
        "جلب الخلاصات مرة واحدة والتلخيص وإرسال الموجزات المستحقة (إلى تيليغرام أو طباعتها)",
    ),
    "run": (
        "run the bot: scheduler plus Telegram, until SIGTERM or Ctrl+C",
        "تشغيل البوت: المجدول وتيليغرام حتى إشارة SIGTERM أو Ctrl+C",
    ),
    "search": (
        "search the archive in Arabic or English",
        "البحث في الأرشيف بالعربية أو الإنجليزية",
    ),
    "check-config": (
        "validate the config file and the environment, then exit",
        "التحقق من ملف الإعدادات ومتغيرات البيئة ثم الخروج",
    ),
}

OPTION_HELP: dict[str, tuple[str, str]] = {
    "config": ("config file (default ./config.toml)", "ملف الإعدادات (الافتراضي ./config.toml)"),
    "data_dir": (
        "where the state and archive live (overrides [storage] data_dir)",
        "مكان حفظ الحالة والأرشيف (يتجاوز [storage] data_dir)",
    ),
    "verbose": ("log more (debug)", "سجل أكثر تفصيلًا"),
    "query": ("words to look for", "الكلمات المطلوب البحث عنها"),
    "limit": ("how many results (default 10)", "عدد النتائج (الافتراضي 10)"),
}


def bilingual(name: str, table: dict[str, tuple[str, str]] = COMMAND_HELP) -> str:
    english, arabic = table[name]
    return f"{english} / {arabic}"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, help=bilingual("config", OPTION_HELP))
    parser.add_argument("--data-dir", default=None, help=bilingual("data_dir", OPTION_HELP))
    parser.add_argument(
        "-v", "--verbose", action="store_true", help=bilingual("verbose", OPTION_HELP)
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description=(
            "Russia–North Korea news digests in Arabic and English, for Telegram. / "
            "موجزات أخبار العلاقات الروسية الكورية الشمالية بالعربية والإنجليزية على تيليغرام."
        ),
    )
    parser.add_argument("--version", action="version", version=f"digestbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_HELP:
        sub = commands.add_parser(name, help=bilingual(name), description=bilingual(name))
        _common(sub)
        if name == "search":
            sub.add_argument("query", nargs="+", help=bilingual("query", OPTION_HELP))
            sub.add_argument("--limit", type=int, default=10, help=bilingual("limit", OPTION_HELP))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config, data_dir=args.data_dir)
    redact_secrets(settings)
    return settings


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    from bot import runner  # heavy imports only once a command runs

    if args.command == "demo":
        asyncio.run(runner.demo(out))
        return 0
    settings = _settings(args)
    if args.command == "check-config":
        where = args.config or "defaults (no config.toml)"
        out.write(
            f"{where}: OK — {len(settings.feeds)} feeds, "
            f"Telegram {'on' if settings.telegram.enabled else 'off'}, "
            f"LLM {'on' if settings.llm.enabled else 'off'}\n"
        )
        return 0
    if args.command == "search":
        found = asyncio.run(runner.search(settings, " ".join(args.query), args.limit, out))
        if not found:
            out.write("no results / لا نتائج\n")
        return 0
    if not settings.feeds:
        raise DigestbotError(
            "no feeds configured: copy config.example.toml to config.toml and edit it"
        )
    if args.command == "once":
        report = asyncio.run(runner.once(settings, out))
        logging.getLogger("digestbot").info(
            "once: %d new items, %d relevant, %d parts queued, %d sent, %d feeds failed",
            report.poll.new_items,
            report.poll.relevant,
            report.queued,
            report.delivery.sent,
            report.poll.feeds_failed,
        )
        return 0
    if args.command == "run":
        asyncio.run(runner.run_forever(settings))
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return _dispatch(args, out or sys.stdout)
    except DigestbotError as exc:
        print(f"digestbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

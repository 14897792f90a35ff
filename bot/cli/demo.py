"""``digestbot demo``: the whole pipeline on bundled sample feeds, no token, no internet."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, bilingual, command, run_async

if TYPE_CHECKING:
    from bot.cli.once import CycleReport
    from bot.config import Settings
    from bot.ops.demo import DemoManifest


@command(
    "demo",
    en="run the whole pipeline on bundled sample feeds and print the digest"
    " (no token, no internet)",
    ar="تشغيل المسار كاملًا على خلاصات تجريبية مرفقة وطباعة الموجز (بلا رمز ولا إنترنت)",
    args=(
        arg(
            "--keep",
            metavar="DIR",
            en="keep the demo's archive in DIR, so that 'digestbot search --data-dir DIR …'"
            " finds its articles",
            ar="حفظ أرشيف العرض في المجلد DIR ليجد الأمر 'digestbot search --data-dir DIR …'"
            " مقالاته",
        ),
    ),
    options_help={
        "config": bilingual(
            "a config whose [llm] and [topic] the demo uses (not its feeds, channels or data"
            " folder); default: none, offline summaries",
            "ملف إعدادات يأخذ منه العرض قسمي [llm] و[topic] فقط (لا الخلاصات ولا القنوات ولا"
            " مجلد البيانات)؛ الافتراضي: لا شيء، وملخصات دون اتصال",
        ),
        "data_dir": bilingual(
            "keep the demo's archive in this folder (same as --keep); default: a temporary"
            " folder, deleted at the end",
            "حفظ أرشيف العرض في هذا المجلد (مثل ‎--keep)؛ الافتراضي: مجلد مؤقت يُحذف في النهاية",
        ),
    },
)
def demo_command(call: Call) -> int:
    # The demo runs on embedded defaults; a config given by name adds its [llm] and [topic].
    base = call.settings if call.args.config else None
    keep = call.args.keep or call.args.data_dir
    run_async(demo(call.out, base=base, data_dir=keep))
    return 0


def demo_settings(
    manifest: DemoManifest, base_url: str, data_dir: str, base: Settings | None = None
) -> Settings:
    """Settings for the demo: its feeds on loopback, its own data directory; the LLM and the
    topic of ``base`` (a config given by name), else none and the built-in topic."""
    from bot.config import Settings

    extra = {"llm": base.llm, "topic": base.topic} if base is not None else {}
    return Settings.model_validate(
        {
            **extra,
            "storage": {"data_dir": data_dir},
            # the demo feeds are served on 127.0.0.1, which the address guard refuses by default
            "ingest": {"allow_private_networks": True, "backlog_hours": 24 * 30},
            "digest": {"max_age_hours": 24 * 30, "max_stories": 50},
            "feeds": [
                {"url": base_url + feed.path, "name": feed.name, "lang": feed.lang}
                for feed in manifest.feeds
            ],
        }
    )


async def demo(
    out: TextIO, *, base: Settings | None = None, data_dir: str | None = None
) -> CycleReport:
    """``digestbot demo``: bundled feeds on loopback, offline summaries (or the LLM of a config
    given by name), digest printed. With ``data_dir`` the archive stays there for ``search``."""
    import tempfile

    from bot.app.container import services
    from bot.cli.once import CycleReport
    from bot.delivery.sender import DeliveryReport
    from bot.digest.render import render_plain
    from bot.ops.demo import load_manifest, serve

    manifest = load_manifest()
    with serve(manifest) as base_url, tempfile.TemporaryDirectory() as scratch:
        settings = demo_settings(manifest, base_url, data_dir or scratch, base)
        async with services(settings, now=lambda: manifest.now) as svc:
            poll = await svc.poller.poll(force=True)
            summarized = await svc.summaries.summarize()
            digest = svc.digests.digest(lang="both", since=None, until=manifest.now)
            out.write(render_plain(digest, svc.catalog) + "\n")
            how = (
                "LLM summaries"
                if settings.llm.enabled
                else "offline summaries; set [llm] for bilingual summaries"
            )
            out.write(
                f"\n— demo: {len(manifest.feeds)} feeds, {poll.new_items} new items read, "
                f"{poll.relevant} about {svc.matcher.lexicon.topic.label()}, {summarized} stories "
                f"summarized ({how})\n"
            )
            out.write(demo_search_hint(data_dir))
            return CycleReport(
                poll=poll, summarized=summarized, queued=0, delivery=DeliveryReport()
            )


def demo_search_hint(kept: str | None) -> str:
    """How to go on from the demo to ``search``: where its archive was kept, or how to keep it
    (by default it lives in a temporary folder that is gone when the demo ends)."""
    if kept is None:
        return (
            "— the demo's archive was temporary; to search it, keep it:"
            " digestbot demo --keep ~/digestbot-demo"
            " && digestbot search --data-dir ~/digestbot-demo Kursk\n"
            "— أرشيف العرض مؤقت؛ للبحث فيه احفظه:"
            " digestbot demo --keep ~/digestbot-demo"
            " && digestbot search --data-dir ~/digestbot-demo كورسك\n"
        )
    where = shlex.quote(kept)
    return (
        f"— archive kept in {kept}: digestbot search --data-dir {where} Kursk\n"
        f"— حُفظ الأرشيف في {kept}: digestbot search --data-dir {where} كورسك\n"
    )

"""Benchmark: normalize and classify 20,000 mixed Arabic/English articles of about 2 KB.

Prints, measured side by side in one run on one core: articles per second for bare
``normalize`` of each article (title and body), articles per second for the full topic filter
(``TopicMatcher.classify(title, summary)``, which normalizes too), the ratio of the two times, and
whether the filter meets the target of 5,000 articles per second.

The articles are generated from templates and word lists with a seeded RNG: half Arabic, half
English, about 15% on topic (both sides named in the title or lead), and the rest news that names
one side, a near-miss, or neither. Arabic bodies carry the variation the normalizer exists for
(diacritics, tatweel, Persian letters, Arabic-Indic digits). Run from the project root:

    python bench/topic.py [--articles N] [--seed S] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/topic.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.text.normalize import normalize
from bot.topic.lexicon import load_lexicon
from bot.topic.matcher import TopicMatcher

TARGET_PER_S = 5_000
ARTICLE_BYTES = 2_000
ON_TOPIC_SHARE = 0.15

EN_WORDS = (
    "the government said on monday that officials would meet again next week to discuss the "
    "budget while analysts expected growth to slow in the third quarter after exports fell and "
    "prices of energy and food rose sharply across the region according to figures released by "
    "the statistics office a spokesman told reporters that talks were constructive but no date "
    "had been set for the next round of negotiations in the capital where protesters gathered "
    "outside parliament demanding reforms to the electoral law and an inquiry into the handling "
    "of the floods that killed dozens of people last month the central bank left interest rates "
    "unchanged citing uncertainty over trade and the weather forecast predicted heavy rain"
).split()
AR_WORDS = (
    "قالت الحكومة يوم الاثنين إن المسؤولين سيجتمعون مجددا الأسبوع المقبل لبحث الميزانية بينما "
    "توقع محللون تباطؤ النمو في الربع الثالث بعد تراجع الصادرات وارتفاع أسعار الطاقة والغذاء "
    "بشكل حاد في أنحاء المنطقة وفقا لأرقام نشرها مكتب الإحصاء وقال متحدث للصحفيين إن المحادثات "
    "كانت بناءة لكن لم يحدد موعد للجولة المقبلة من المفاوضات في العاصمة حيث تجمع محتجون أمام "
    "البرلمان مطالبين بإصلاح قانون الانتخابات والتحقيق في التعامل مع الفيضانات التي أودت بحياة "
    "العشرات الشهر الماضي وأبقى البنك المركزي أسعار الفائدة دون تغيير مشيرا إلى الغموض بشأن "
    "التجارة وتوقعت الأرصاد هطول أمطار غزيرة وقد أكد الوزير أن الخطة تهدف إلى دعم الاقتصاد"
).split()
# Spelling variation the normalizer folds: diacritics, tatweel, Persian letters, digits.
AR_VARIANTS = (
    "الحُكُومَة", "الاقتـــصاد", "کوریا", "الوزیر", "٢٠٢٤", "۱۵", "أُسْعَار", "ﻻ", "«المحادثات»",
)  # fmt: skip

EN_RU = ("Russia", "Moscow", "the Kremlin", "Putin", "Lavrov", "Russia's", "Shoigu")
EN_NK = ("North Korea", "Pyongyang", "Kim Jong Un", "the DPRK", "North Korean", "N. Korea's")
AR_RU = ("روسيا", "موسكو", "الكرملين", "بوتين", "لافروف", "الروسي", "بوتن", "شويغو")
AR_NK = ("كوريا الشمالية", "بيونغ يانغ", "كيم جونغ أون", "بيونج يانج", "الكوري الشمالي")
EN_NEAR = (
    "South Korea", "Kursk region", "Pyeongchang", "TASS", "Kim Jong Il", "Seoul", "Samsung",
    "the Kursk submarine", "Korean Air", "Xi Jinping", "Ukraine",
)  # fmt: skip
AR_NEAR = (
    "كوريا الجنوبية", "منطقة كورسك", "بيونغ تشانغ", "وكالة تاس", "كيم جونغ إيل", "سيول",
    "سامسونج", "الغواصة كورسك", "روسيا اليوم", "شي جين بينغ", "أوكرانيا",
)  # fmt: skip


def _sentence(rng: random.Random, words: Sequence[str], extra: Sequence[str], arabic: bool) -> str:
    count = rng.randint(12, 24)
    picked = [rng.choice(words) for _ in range(count)]
    for name in extra:
        picked.insert(rng.randrange(len(picked) + 1), name)
    if arabic and rng.random() < 0.3:
        picked[rng.randrange(len(picked))] = rng.choice(AR_VARIANTS)
    text = " ".join(picked)
    return (text[0].upper() + text[1:] if not arabic else text) + "."


def make_article(rng: random.Random, arabic: bool, on_topic: bool) -> tuple[str, str]:
    """One (title, body) of about ``ARTICLE_BYTES`` UTF-8 bytes."""
    words = AR_WORDS if arabic else EN_WORDS
    ru, nk, near = (AR_RU, AR_NK, AR_NEAR) if arabic else (EN_RU, EN_NK, EN_NEAR)
    kind = rng.random()
    if on_topic:
        title_names = [rng.choice(ru), rng.choice(nk)]
        lead_names = [rng.choice(ru), rng.choice(nk)]
    elif kind < 0.3:  # one side only
        title_names = [rng.choice(rng.choice((ru, nk)))]
        lead_names = [rng.choice(near)]
    elif kind < 0.5:  # a near-miss
        title_names = [rng.choice(near), rng.choice(ru)]
        lead_names = [rng.choice(near)]
    else:
        title_names, lead_names = [], []
    title = _sentence(rng, words, title_names, arabic)[:-1][:110]
    sentences = [_sentence(rng, words, lead_names, arabic)]
    size = len(title.encode()) + len(sentences[0].encode())
    while size < ARTICLE_BYTES:
        extra = [rng.choice(near)] if rng.random() < 0.1 else []
        sentence = _sentence(rng, words, extra, arabic)
        sentences.append(sentence)
        size += len(sentence.encode()) + 1
    return title, " ".join(sentences)


def make_articles(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [
        make_article(rng, arabic=i % 2 == 0, on_topic=rng.random() < ON_TOPIC_SHARE)
        for i in range(count)
    ]


def _best_time(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20240613)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many timed runs")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        # One core, so that the figure does not depend on how busy the other cores are.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    articles = make_articles(args.articles, args.seed)
    matcher = TopicMatcher(load_lexicon())
    n = len(articles)
    size = sum(len(t.encode()) + len(b.encode()) for t, b in articles) / n

    def run_normalize() -> None:
        for title, body in articles:
            normalize(title)
            normalize(body)

    def run_classify() -> None:
        for title, body in articles:
            matcher.classify(title, body)

    # A warm-up pass of each, then the timed runs, interleaved so that both see the same
    # machine state.
    run_normalize()
    run_classify()
    t_norm = t_cls = float("inf")
    for _ in range(args.rounds):
        t_norm = min(t_norm, _best_time(run_normalize, 1))
        t_cls = min(t_cls, _best_time(run_classify, 1))
    relevant = sum(matcher.classify(t, b).relevant for t, b in articles)

    norm_rate = n / t_norm
    cls_rate = n / t_cls
    print(f"articles: {n} (half Arabic, half English), mean size {size:,.0f} bytes UTF-8")
    print(f"classified relevant: {relevant} ({relevant / n:.1%}; generated on topic ~15%)")
    print(f"normalize only:      {norm_rate:10,.0f} articles/s  ({t_norm * 1e6 / n:6.1f} µs each)")
    print(f"normalize+classify:  {cls_rate:10,.0f} articles/s  ({t_cls * 1e6 / n:6.1f} µs each)")
    print(f"ratio classify/normalize time: {t_cls / t_norm:.2f}x")
    verdict = "meets" if cls_rate >= TARGET_PER_S else "MISSES"
    print(f"target >= {TARGET_PER_S:,} articles/s: {verdict} ({cls_rate:,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

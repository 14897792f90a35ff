"""The sentence splitter on Arabic and English news text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.sentences import split_sentences

CASES = [
    # English: plain stops
    ("Putin met Kim. They signed a treaty.", ["Putin met Kim.", "They signed a treaty."]),
    ("Is it real? Yes! It is.", ["Is it real?", "Yes!", "It is."]),
    ("Wait?! Really.", ["Wait?!", "Really."]),
    ("He paused... Then he left.", ["He paused...", "Then he left."]),
    ("He paused… Then he left.", ["He paused…", "Then he left."]),
    ("No stop at the end", ["No stop at the end"]),
    # commas never split
    ("Moscow, Pyongyang, and Beijing met.", ["Moscow, Pyongyang, and Beijing met."]),
    # decimals
    ("Trade grew 3.5 percent. It was a record.", ["Trade grew 3.5 percent.", "It was a record."]),
    ("Version 1.2.3 shipped.", ["Version 1.2.3 shipped."]),
    # abbreviations and initials
    (
        "The U.S. and the U.N. objected. Russia did not.",
        ["The U.S. and the U.N. objected.", "Russia did not."],
    ),
    ("N. Korea sent troops. Kyiv said so.", ["N. Korea sent troops.", "Kyiv said so."]),
    ("Kim J. Un arrived.", ["Kim J. Un arrived."]),
    (
        "Mr. Lavrov met Dr. Choe. Gen. Belousov too.",
        ["Mr. Lavrov met Dr. Choe.", "Gen. Belousov too."],
    ),
    (
        "Lt. Col. Ivanov spoke. St. Petersburg hosted.",
        ["Lt. Col. Ivanov spoke.", "St. Petersburg hosted."],
    ),
    (
        "On Jan. 5 and Feb. 6 they met. Sept. was quiet.",
        ["On Jan. 5 and Feb. 6 they met.", "Sept. was quiet."],
    ),
    (
        "Some items, e.g. shells, i.e. ammunition, moved.",
        ["Some items, e.g. shells, i.e. ammunition, moved."],
    ),
    (
        "Sanctions by the U.S. The ministry objected.",
        ["Sanctions by the U.S.", "The ministry objected."],
    ),
    ("The D.P.R.K. Foreign Ministry said.", ["The D.P.R.K. Foreign Ministry said."]),
    ("It rose approx. five percent.", ["It rose approx. five percent."]),
    # closing quotes and brackets stay with their sentence
    ('He said "we agree." Then he left.', ['He said "we agree."', "Then he left."]),
    ("He said “we agree.” Then he left.", ["He said “we agree.”", "Then he left."]),
    ("(This is an aside.) Next sentence.", ["(This is an aside.)", "Next sentence."]),
    # newlines always split, whitespace is stripped, empties dropped
    ("Headline line\nBody line one. Body two.", ["Headline line", "Body line one.", "Body two."]),
    ("  First.  \n\n   Second.   ", ["First.", "Second."]),
    ("", []),
    ("   \n  ", []),
    # Arabic
    ("وصل بوتين إلى بيونغ يانغ. واستقبله كيم.", ["وصل بوتين إلى بيونغ يانغ.", "واستقبله كيم."]),
    ("هل ستتغير العلاقات؟ ربما.", ["هل ستتغير العلاقات؟", "ربما."]),
    (
        "قال لافروف، في مؤتمر صحفي، إن التعاون مستمر.",
        ["قال لافروف، في مؤتمر صحفي، إن التعاون مستمر."],
    ),
    (
        "ارتفعت التجارة 3.5 بالمئة. وهذا رقم قياسي!",
        ["ارتفعت التجارة 3.5 بالمئة.", "وهذا رقم قياسي!"],
    ),
    ("انتهت القمة… وبدأت المحادثات.", ["انتهت القمة…", "وبدأت المحادثات."]),
    ("انتهت القمة۔ وبدأت المحادثات۔", ["انتهت القمة۔", "وبدأت المحادثات۔"]),
    ("وقال بوتين «نحن أصدقاء.» ثم غادر.", ["وقال بوتين «نحن أصدقاء.»", "ثم غادر."]),
    ("وقال د. محمد إن ذلك مهم. وأضاف.", ["وقال د. محمد إن ذلك مهم.", "وأضاف."]),
    # a missing space after an Arabic stop still splits
    ("وصل الوفد الأحد.وقال المتحدث إنه مهم.", ["وصل الوفد الأحد.", "وقال المتحدث إنه مهم."]),
    # mixed
    (
        "قالت وكالة KCNA إن الزيارة ناجحة. The U.S. objected.",
        ["قالت وكالة KCNA إن الزيارة ناجحة.", "The U.S. objected."],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@given(st.text(alphabet=st.sampled_from(list('ab .!?؟…،,\n"»)U3كم')), max_size=60))
def test_split_keeps_every_non_space_character(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert "".join("".join(sentences).split()) == "".join(text.split())

"""Specification of messages rendered per language (deconflict.i18n.messages)."""

from __future__ import annotations

import re

import pytest

from deconflict.i18n.messages import (
    LANGUAGES,
    PARAMS,
    MessageCode,
    ObjectionReason,
    activity_name,
    render,
    render_free_text,
    render_reason,
)

ARABIC = re.compile(r"[\u0600-\u06FF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
ISOLATES = re.compile("[\u2068\u2069]")

EVERY_MESSAGE = [(code, language) for code in MessageCode for language in LANGUAGES]
ACTIVITIES = ("strike", "drill", "flight", "convoy", "patrol", "raid", "demining")

NOTIFICATION = {
    "sender": "Coalition",
    "activity": "strike",
    "feature": "Target 12",
    "start": "071200ZSEP26 (2026-09-07T12:00Z)",
    "end": "071300ZSEP26 (2026-09-07T13:00Z)",
    "respond_by": "070900ZSEP26 (2026-09-07T09:00Z)",
}


def marked(name: str) -> str:
    """A value that can only appear in the output if its placeholder was used."""
    return f"<{name}-value>"


def full_params(code: MessageCode) -> dict[str, str]:
    params = {name: marked(name) for name in PARAMS[code]}
    if "reason" in params:
        params["reason"] = ObjectionReason.PROTECTED_SITE.value
    return params


def shown(text: str) -> str:
    """The text as a reader sees it, without the invisible bidi isolates."""
    return ISOLATES.sub("", text)


def test_languages_are_english_russian_arabic() -> None:
    assert LANGUAGES == ("en", "ru", "ar")


def test_every_code_declares_its_params() -> None:
    assert set(PARAMS) == set(MessageCode)
    assert all(len(set(names)) == len(names) for names in PARAMS.values())


def test_codes_and_reasons_travel_as_their_lowercase_names() -> None:
    assert MessageCode("close_out") is MessageCode.CLOSE_OUT
    assert MessageCode.FREE_TEXT.value == "free_text"
    assert ObjectionReason("civilians_present") is ObjectionReason.CIVILIANS_PRESENT
    assert MessageCode("mixed_datums") is MessageCode.MIXED_DATUMS
    assert len(MessageCode) == 14
    assert len(ObjectionReason) == 6


@pytest.mark.parametrize(("code", "language"), EVERY_MESSAGE)
def test_every_code_renders_in_every_language_using_each_of_its_params(
    code: MessageCode, language: str
) -> None:
    text = render(code, full_params(code), language)
    for name in PARAMS[code]:
        if name == "reason":
            assert render_reason(ObjectionReason.PROTECTED_SITE, language) in text
        else:  # an unknown activity kind is shown as given, so it is checked too
            assert marked(name) in shown(text), name
    assert "{" not in text
    assert "}" not in text


@pytest.mark.parametrize(("code", "language"), EVERY_MESSAGE)
def test_every_code_needs_each_of_its_params(code: MessageCode, language: str) -> None:
    for name in PARAMS[code]:
        params = full_params(code)
        del params[name]
        with pytest.raises(KeyError) as caught:
            render(code, params, language)
        assert caught.value.args == (name,)


@pytest.mark.parametrize(("code", "language"), EVERY_MESSAGE)
def test_every_message_is_written_in_its_own_script(code: MessageCode, language: str) -> None:
    text = render(code, full_params(code), language)
    assert bool(ARABIC.search(text)) is (language == "ar")
    assert bool(CYRILLIC.search(text)) is (language == "ru")


def test_english_notification_reads_as_an_operator_writes_it() -> None:
    assert render(MessageCode.NOTIFICATION, NOTIFICATION, "en") == (
        "Coalition notifies strike 'Target 12' from 071200ZSEP26 (2026-09-07T12:00Z) "
        "to 071300ZSEP26 (2026-09-07T13:00Z). Respond by 070900ZSEP26 (2026-09-07T09:00Z)."
    )


def test_russian_notification_names_the_activity_in_russian() -> None:
    text = render(MessageCode.NOTIFICATION, NOTIFICATION, "ru")
    assert text.startswith("Coalition уведомляет: удар «Target 12» с 071200ZSEP26")
    assert "Ответ требуется до 070900ZSEP26" in text


def test_arabic_notification_names_the_activity_in_arabic() -> None:
    text = shown(render(MessageCode.NOTIFICATION, NOTIFICATION, "ar"))
    assert text.startswith("إشعار من Coalition: ضربة «Target 12»")
    assert "071200ZSEP26 (2026-09-07T12:00Z)" in text


def test_arabic_isolates_each_value_so_latin_text_keeps_its_order() -> None:
    text = render(MessageCode.NOTIFICATION, NOTIFICATION, "ar")
    assert "\u2068Coalition\u2069" in text
    assert "\u2068071200ZSEP26 (2026-09-07T12:00Z)\u2069" in text


def test_english_and_russian_carry_no_invisible_characters() -> None:
    for language in ("en", "ru"):
        text = render(MessageCode.NOTIFICATION, NOTIFICATION, language)
        assert not ISOLATES.search(text)


def test_conflict_warning_says_it_conflicts_with_your_target_at_a_distance() -> None:
    params = {
        "activity": "drill",
        "feature": "Live fire 3",
        "start": "071200ZSEP26",
        "end": "071400ZSEP26",
        "target": "Al-Tanf clinic",
        "distance_km": "0.8",
    }
    assert render(MessageCode.CONFLICT_WARNING, params, "en").endswith(
        "conflicts with your 'Al-Tanf clinic' at 800 m."
    )
    assert "«Al-Tanf clinic» на расстоянии 800 м" in render(
        MessageCode.CONFLICT_WARNING, params, "ru"
    )
    assert "على مسافة 800 م" in shown(render(MessageCode.CONFLICT_WARNING, params, "ar"))


@pytest.mark.parametrize(
    ("distance_km", "language", "written"),
    [
        ("1.500", "en", "at 1.5 km."),
        ("1500.000", "en", "at 1,500 km."),
        ("1.500", "ru", "на расстоянии 1,5 км."),
        ("1500.000", "ru", "на расстоянии 1\u00a0500 км."),
        ("1500.000", "ar", "على مسافة 1,500 كم"),
        ("—", "en", "at —."),
    ],
)
def test_a_warnings_distance_reads_one_way_only_in_each_language(
    distance_km: str, language: str, written: str
) -> None:
    params = {
        "activity": "strike",
        "feature": "S",
        "start": "071200ZSEP26",
        "end": "071400ZSEP26",
        "target": "Camp",
        "distance_km": distance_km,
    }
    assert written in shown(render(MessageCode.CONFLICT_WARNING, params, language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_objection_includes_the_reason_in_the_readers_language(language: str) -> None:
    params = {"sender": "Aid", "notice": "N-7", "reason": "civilians_present"}
    text = render(MessageCode.OBJECTION, params, language)
    assert render_reason(ObjectionReason.CIVILIANS_PRESENT, language) in text
    assert "civilians_present" not in text


def test_objection_with_an_unknown_reason_is_refused() -> None:
    params = {"sender": "Aid", "notice": "N-7", "reason": "bad_weather"}
    with pytest.raises(ValueError, match="bad_weather"):
        render(MessageCode.OBJECTION, params, "en")


@pytest.mark.parametrize(
    ("reason", "language"), [(r, lang) for r in ObjectionReason for lang in LANGUAGES]
)
def test_every_reason_has_its_own_wording_in_every_language(
    reason: ObjectionReason, language: str
) -> None:
    wording = render_reason(reason, language)
    others = {render_reason(other, language) for other in ObjectionReason if other != reason}
    assert wording
    assert wording not in others


@pytest.mark.parametrize("code", [MessageCode.OVERDUE, MessageCode.ESCALATION])
@pytest.mark.parametrize("language", LANGUAGES)
def test_overdue_and_escalation_say_who_has_not_answered_which_notice_since_when(
    code: MessageCode, language: str
) -> None:
    params = {"party": "Russian forces", "notice": "N-42", "since": "070900ZSEP26"}
    text = shown(render(code, params, language))
    assert "Russian forces" in text
    assert "N-42" in text
    assert "070900ZSEP26" in text


def test_english_overdue_reads_plainly() -> None:
    params = {"party": "Russian forces", "notice": "N-42", "since": "070900ZSEP26"}
    assert render(MessageCode.OVERDUE, params, "en") == (
        "Overdue: Russian forces has not answered notice N-42, due since 070900ZSEP26."
    )


def test_free_text_is_marked_as_not_translated_in_each_language() -> None:
    assert render_free_text("Bridge down", "en") == "Free text (not translated): Bridge down"
    assert (
        render_free_text("Мост разрушен", "ru") == "Свободный текст (без перевода): Мост разрушен"
    )
    assert shown(render_free_text("الجسر مدمر", "ar")) == "نص حر (غير مترجم): الجسر مدمر"


@pytest.mark.parametrize("language", LANGUAGES)
def test_free_text_message_carries_the_text_marked(language: str) -> None:
    params = {"sender": "Aid", "text": "Road blocked at km 14"}
    text = render(MessageCode.FREE_TEXT, params, language)
    assert render_free_text("Road blocked at km 14", language) in text


def test_free_text_is_carried_verbatim_even_with_braces() -> None:
    params = {"sender": "Aid", "text": "grid {37S} {sender}"}
    assert render(MessageCode.FREE_TEXT, params, "en") == (
        "Message from Aid. Free text (not translated): grid {37S} {sender}"
    )


@pytest.mark.parametrize("language", ["fr", "", "zz-ZZ"])
def test_unknown_language_falls_back_to_english(language: str) -> None:
    assert render(MessageCode.NOTIFICATION, NOTIFICATION, language) == render(
        MessageCode.NOTIFICATION, NOTIFICATION, "en"
    )
    assert render_free_text("x", language) == render_free_text("x", "en")
    assert activity_name("convoy", language) == "convoy"
    assert render_reason(ObjectionReason.OTHER, language) == render_reason(
        ObjectionReason.OTHER, "en"
    )


@pytest.mark.parametrize(("tag", "language"), [("ru-RU", "ru"), ("AR_sy", "ar"), ("EN", "en")])
def test_language_tags_with_a_region_use_their_language(tag: str, language: str) -> None:
    assert render(MessageCode.NOTIFICATION, NOTIFICATION, tag) == render(
        MessageCode.NOTIFICATION, NOTIFICATION, language
    )


def test_extra_params_are_ignored() -> None:
    params = {"sender": "Coalition", "notice": "N-7", "unused": "x"}
    assert render(MessageCode.ACKNOWLEDGEMENT, params, "en") == (
        "Coalition acknowledges notice N-7."
    )


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_every_activity_kind_is_named_in_every_language(activity: str) -> None:
    assert activity_name(activity, "en") == activity
    assert CYRILLIC.search(activity_name(activity, "ru"))
    assert ARABIC.search(activity_name(activity, "ar"))


def test_activity_kinds_read_in_russian_and_arabic() -> None:
    assert activity_name("strike", "ru") == "удар"
    assert activity_name("convoy", "ar") == "قافلة"


def test_activity_kind_matches_without_regard_to_case() -> None:
    assert activity_name("DEMINING", "ru") == "разминирование"


def test_unknown_activity_is_shown_as_given() -> None:
    assert activity_name("Airdrop", "ru") == "Airdrop"
    assert activity_name("Airdrop", "ar") == "Airdrop"

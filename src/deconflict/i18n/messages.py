"""Messages on the line, rendered for each party in its own language from templates.

A message travels as a code plus parameters; each reader sees it rendered in
English, Russian or Arabic from the templates below, never machine-translated.
Free text is carried alongside and always marked as untranslated.

Templates avoid constructions that would have to agree with a caller's value
(Russian case and gender, Arabic verb gender), so any party name reads
correctly. In Arabic every value from the caller is wrapped in Unicode
first-strong isolates (U+2068 ... U+2069) so that Latin names, DTGs and ISO
times keep their order inside right-to-left text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache

from deconflict.i18n.distances import format_distance

__all__ = [
    "LANGUAGES",
    "PARAMS",
    "UFN",
    "WITHHELD",
    "WITHHELD_SHAPE",
    "WITHHELD_ZONE",
    "MessageCode",
    "ObjectionReason",
    "activity_name",
    "isolated",
    "render",
    "render_free_text",
    "render_reason",
]

LANGUAGES = ("en", "ru", "ar")


class MessageCode(StrEnum):
    """What a message on the line says; the parameters it needs are in ``PARAMS``."""

    NOTIFICATION = "notification"
    CONFLICT_WARNING = "conflict_warning"
    ACKNOWLEDGEMENT = "acknowledgement"
    OBJECTION = "objection"
    CLARIFICATION_REQUEST = "clarification_request"
    REPLY = "reply"
    AMENDMENT = "amendment"
    CANCELLATION = "cancellation"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    CLOSE_OUT = "close_out"
    FREE_TEXT = "free_text"
    OCCURRENCES = "occurrences"
    MIXED_DATUMS = "mixed_datums"


class ObjectionReason(StrEnum):
    """Why a party objects to a notice."""

    FORCES_PRESENT = "forces_present"
    CIVILIANS_PRESENT = "civilians_present"
    PROTECTED_SITE = "protected_site"
    INSUFFICIENT_NOTICE = "insufficient_notice"
    AIRSPACE_CONFLICT = "airspace_conflict"
    OTHER = "other"


PARAMS: dict[MessageCode, tuple[str, ...]] = {
    MessageCode.NOTIFICATION: ("sender", "activity", "feature", "start", "end", "respond_by"),
    MessageCode.CONFLICT_WARNING: ("activity", "feature", "start", "end", "target", "distance_km"),
    MessageCode.OCCURRENCES: ("target", "count", "occurrences"),
    MessageCode.MIXED_DATUMS: ("target", "datums", "widened_m"),
    MessageCode.ACKNOWLEDGEMENT: ("sender", "notice"),
    MessageCode.OBJECTION: ("sender", "notice", "reason"),
    MessageCode.CLARIFICATION_REQUEST: ("sender", "notice"),
    MessageCode.REPLY: ("sender", "notice"),
    MessageCode.AMENDMENT: (
        "sender",
        "notice",
        "activity",
        "feature",
        "start",
        "end",
        "respond_by",
    ),
    MessageCode.CANCELLATION: ("sender", "notice", "activity", "feature"),
    MessageCode.OVERDUE: ("party", "notice", "since"),
    MessageCode.ESCALATION: ("party", "notice", "since"),
    MessageCode.CLOSE_OUT: ("sender", "notice"),
    MessageCode.FREE_TEXT: ("sender", "text"),
}
"""The parameters each code's templates use, all strings formatted by the caller.

``sender``/``party`` name a party; ``notice`` is a notice id; ``feature`` and
``target`` are feature names (``target`` is the reader's own zone or activity);
``start``, ``end``, ``respond_by`` and ``since`` (when the answer fell due) are
times, as DTG plus ISO; ``distance_km`` is a number of kilometres ("0.8") and
``widened_m`` one of metres ("1,500"). Some are localised by ``render`` itself:
``activity`` is an activity kind (see ``activity_name``), ``reason`` an
``ObjectionReason`` value, ``text`` free text (marked by ``render_free_text``),
and the two distances are written with their unit as the reader's language
writes numbers (``format_distance``; "—", a withheld distance, stays as it is).
So are the words the line itself puts in parameters: ``UFN`` for a time that
is not there (an open end), the ``WITHHELD*`` marks for what a reader may not
see, and "<feature> v<version>" for a notice named by its feature. An
escalation may also carry ``contact``, whom the notice was re-sent to.
"""

_EN: dict[MessageCode, str] = {
    MessageCode.NOTIFICATION: (
        "{sender} notifies {activity} '{feature}' from {start} to {end}. Respond by {respond_by}."
    ),
    MessageCode.CONFLICT_WARNING: (
        "Warning: {activity} '{feature}' from {start} to {end} conflicts with "
        "your '{target}' at {distance_km}."
    ),
    MessageCode.OCCURRENCES: "Occurrences that meet '{target}' ({count}): {occurrences}.",
    MessageCode.MIXED_DATUMS: (
        "Altitudes against '{target}' are in different datums ({datums}): the bands were "
        "compared conservatively, widened by up to {widened_m}."
    ),
    MessageCode.ACKNOWLEDGEMENT: "{sender} acknowledges notice {notice}.",
    MessageCode.OBJECTION: "{sender} objects to notice {notice}: {reason}.",
    MessageCode.CLARIFICATION_REQUEST: "{sender} asks for clarification of notice {notice}.",
    MessageCode.REPLY: "{sender} replies about notice {notice}.",
    MessageCode.AMENDMENT: (
        "{sender} amends notice {notice}: {activity} '{feature}' now from {start} to {end}. "
        "Respond by {respond_by}."
    ),
    MessageCode.CANCELLATION: "{sender} cancels notice {notice} ({activity} '{feature}').",
    MessageCode.OVERDUE: "Overdue: {party} has not answered notice {notice}, due since {since}.",
    MessageCode.ESCALATION: (
        "Escalation: {party} has still not answered notice {notice}, due since {since}."
    ),
    MessageCode.CLOSE_OUT: "{sender} closes notice {notice}: the activity is complete.",
    MessageCode.FREE_TEXT: "Message from {sender}. {text}",
}

_RU: dict[MessageCode, str] = {
    MessageCode.NOTIFICATION: (
        "{sender} уведомляет: {activity} «{feature}» с {start} до {end}. "
        "Ответ требуется до {respond_by}."
    ),
    MessageCode.CONFLICT_WARNING: (
        "Внимание: {activity} «{feature}» с {start} до {end} — конфликт с вашим "
        "объектом «{target}» на расстоянии {distance_km}."
    ),
    MessageCode.OCCURRENCES: "Повторения, пересекающиеся с «{target}» ({count}): {occurrences}.",
    MessageCode.MIXED_DATUMS: (
        "Высоты относительно «{target}» заданы от разных уровней ({datums}): слои сравнивались "
        "с запасом, расширенным до {widened_m}."
    ),
    MessageCode.ACKNOWLEDGEMENT: "{sender} подтверждает получение уведомления {notice}.",
    MessageCode.OBJECTION: "{sender} возражает против уведомления {notice}: {reason}.",
    MessageCode.CLARIFICATION_REQUEST: "{sender} запрашивает уточнение по уведомлению {notice}.",
    MessageCode.REPLY: "{sender} отвечает по уведомлению {notice}.",
    MessageCode.AMENDMENT: (
        "{sender} изменяет уведомление {notice}: {activity} «{feature}», новое время "
        "с {start} до {end}. Ответ требуется до {respond_by}."
    ),
    MessageCode.CANCELLATION: "{sender} отменяет уведомление {notice} ({activity} «{feature}»).",
    MessageCode.OVERDUE: (
        "Просрочено: сторона {party} не ответила на уведомление {notice}, "
        "ответ ожидается с {since}."
    ),
    MessageCode.ESCALATION: (
        "Эскалация: сторона {party} так и не ответила на уведомление {notice}, "
        "ответ ожидается с {since}."
    ),
    MessageCode.CLOSE_OUT: "{sender} закрывает уведомление {notice}: мероприятие завершено.",
    MessageCode.FREE_TEXT: "Отправитель: {sender}. {text}",
}

_AR: dict[MessageCode, str] = {
    MessageCode.NOTIFICATION: (
        "إشعار من {sender}: {activity} «{feature}» من {start} إلى {end}. "
        "يُرجى الرد قبل {respond_by}."
    ),
    MessageCode.CONFLICT_WARNING: (
        "تحذير: تعارض مع «{target}» التابع لكم على مسافة {distance_km}: "
        "{activity} «{feature}» من {start} إلى {end}."
    ),
    MessageCode.OCCURRENCES: "التكرارات المتعارضة مع «{target}» ({count}): {occurrences}.",
    MessageCode.MIXED_DATUMS: (
        "الارتفاعات مقارنةً بـ«{target}» مقيسة من مراجع مختلفة ({datums}): قورنت الطبقات "
        "بتحفّظ بعد توسيعها حتى {widened_m}."
    ),
    MessageCode.ACKNOWLEDGEMENT: "تأكيد استلام الإشعار {notice} من قِبل {sender}.",
    MessageCode.OBJECTION: "اعتراض من {sender} على الإشعار {notice}: {reason}.",
    MessageCode.CLARIFICATION_REQUEST: "طلب توضيح من {sender} بشأن الإشعار {notice}.",
    MessageCode.REPLY: "رد من {sender} بشأن الإشعار {notice}.",
    MessageCode.AMENDMENT: (
        "تعديل الإشعار {notice} من قِبل {sender}: {activity} «{feature}»، "
        "الموعد الجديد من {start} إلى {end}. يُرجى الرد قبل {respond_by}."
    ),
    MessageCode.CANCELLATION: "إلغاء الإشعار {notice} ({activity} «{feature}») من قِبل {sender}.",
    MessageCode.OVERDUE: (
        "تأخر في الرد: لم يصل رد {party} على الإشعار {notice}، والرد مستحق منذ {since}."
    ),
    MessageCode.ESCALATION: (
        "تصعيد: لم يصل حتى الآن رد {party} على الإشعار {notice}، والرد مستحق منذ {since}."
    ),
    MessageCode.CLOSE_OUT: "إغلاق الإشعار {notice} من قِبل {sender}: اكتمل النشاط.",
    MessageCode.FREE_TEXT: "رسالة من {sender}. {text}",
}

_TEMPLATES: dict[str, dict[MessageCode, str]] = {"en": _EN, "ru": _RU, "ar": _AR}

_REASONS: dict[str, dict[ObjectionReason, str]] = {
    "en": {
        ObjectionReason.FORCES_PRESENT: "our forces are present in the area",
        ObjectionReason.CIVILIANS_PRESENT: "civilians are present in the area",
        ObjectionReason.PROTECTED_SITE: "a protected site is in the area",
        ObjectionReason.INSUFFICIENT_NOTICE: "too little notice was given",
        ObjectionReason.AIRSPACE_CONFLICT: "conflict in the airspace",
        ObjectionReason.OTHER: "another reason (see the free text)",
    },
    "ru": {
        ObjectionReason.FORCES_PRESENT: "в районе находятся наши силы",
        ObjectionReason.CIVILIANS_PRESENT: "в районе находятся мирные жители",
        ObjectionReason.PROTECTED_SITE: "в районе находится защищаемый объект",
        ObjectionReason.INSUFFICIENT_NOTICE: "недостаточный срок уведомления",
        ObjectionReason.AIRSPACE_CONFLICT: "конфликт в воздушном пространстве",
        ObjectionReason.OTHER: "иная причина (см. свободный текст)",
    },
    "ar": {
        ObjectionReason.FORCES_PRESENT: "قواتنا موجودة في المنطقة",
        ObjectionReason.CIVILIANS_PRESENT: "يوجد مدنيون في المنطقة",
        ObjectionReason.PROTECTED_SITE: "يوجد موقع محمي في المنطقة",
        ObjectionReason.INSUFFICIENT_NOTICE: "مهلة الإشعار غير كافية",
        ObjectionReason.AIRSPACE_CONFLICT: "تعارض في المجال الجوي",
        ObjectionReason.OTHER: "سبب آخر (انظر النص الحر)",
    },
}

_ACTIVITIES: dict[str, dict[str, str]] = {
    "en": {
        "strike": "strike",
        "drill": "drill",
        "flight": "flight",
        "convoy": "convoy",
        "patrol": "patrol",
        "raid": "raid",
        "demining": "demining",
        "artillery": "artillery fire",
        "zone": "zone",
    },
    "ru": {
        "strike": "удар",
        "drill": "учения",
        "flight": "полёт",
        "convoy": "колонна",
        "patrol": "патрулирование",
        "raid": "рейд",
        "demining": "разминирование",
        "artillery": "артиллерийский огонь",
        "zone": "зона",
    },
    "ar": {
        "strike": "ضربة",
        "drill": "تمرين",
        "flight": "رحلة جوية",
        "convoy": "قافلة",
        "patrol": "دورية",
        "raid": "غارة",
        "demining": "إزالة ألغام",
        "artillery": "قصف مدفعي",
        "zone": "منطقة",
    },
}

_FREE_TEXT_MARK = {
    "en": "Free text (not translated)",
    "ru": "Свободный текст (без перевода)",
    "ar": "نص حر (غير مترجم)",
}

_RIGHT_TO_LEFT = frozenset({"ar"})

_UNTIL_FURTHER_NOTICE = {
    "en": "every one until further notice",
    "ru": "все, до особого распоряжения",
    "ar": "جميعها حتى إشعار آخر",
}

UFN = "UFN"
"""A time parameter's value when there is no time: open-ended, until further notice."""

# How an open end reads after the template's "to" (до, إلى), and where it stands alone.
_OPEN_END = {"en": UFN, "ru": "особого распоряжения", "ar": "إشعار آخر"}
_OPEN_END_ALONE = {"en": UFN, "ru": "до особого распоряжения", "ar": "حتى إشعار آخر"}
_TIMES = frozenset({"start", "end", "respond_by", "since"})

WITHHELD = "(withheld)"
WITHHELD_ZONE = "(withheld zone)"
WITHHELD_SHAPE = "(shape withheld)"
# What the line writes in place of what a reader may not see, in each language.
_WITHHELD = {
    WITHHELD: {"en": WITHHELD, "ru": "(скрыто)", "ar": "(محجوب)"},
    WITHHELD_ZONE: {"en": WITHHELD_ZONE, "ru": "(скрытая зона)", "ar": "(منطقة محجوبة)"},
    WITHHELD_SHAPE: {"en": WITHHELD_SHAPE, "ru": "(контур скрыт)", "ar": "(الشكل محجوب)"},
}

# A notice named by its feature and version, as the line names amendments and cancellations.
_FEATURE_VERSION = re.compile(r"(?P<feature>.+) v(?P<version>\d+)")
_VERSION = {
    "en": "{feature} v{version}",
    "ru": "{feature}, версия {version}",
    "ar": "{feature}، الإصدار {version}",
}

# Said after an escalation when the message names whom it was re-sent to (`contact`).
_RESENT_TO = {
    "en": " Re-sent to {contact}.",
    "ru": " Направлено повторно: {contact}.",
    "ar": " أُعيد الإرسال إلى {contact}.",
}


def render(code: MessageCode, params: Mapping[str, str], language: str) -> str:
    """Render a message in ``language`` (unknown languages get English).

    ``params`` must hold every name in ``PARAMS[code]`` (the first one missing
    raises ``KeyError``); extra names are ignored. A ``reason`` that is not an
    ``ObjectionReason`` value raises ``ValueError``.

    >>> render(MessageCode.ACKNOWLEDGEMENT, {"sender": "Coalition", "notice": "N-7"}, "en")
    'Coalition acknowledges notice N-7.'
    >>> render(MessageCode.ACKNOWLEDGEMENT, {"sender": "Coalition", "notice": "N-7"}, "ru")
    'Coalition подтверждает получение уведомления N-7.'
    """
    for name in PARAMS[code]:
        if name not in params:
            raise KeyError(name)
    contact = params.get("contact") if code is MessageCode.ESCALATION else None
    return _rendered(
        code, tuple(params[name] for name in PARAMS[code]), contact, _supported(language)
    )


@lru_cache(maxsize=1024)
def _rendered(code: MessageCode, values: tuple[str, ...], contact: str | None, lang: str) -> str:
    """`render`'s text of the values of PARAMS[code], in that order. Kept for the messages
    met lately: a notice's event renders its messages in every language, and a declaration's
    messages are the same for each party it notifies."""
    localised = {
        name: _localised(name, value, lang)
        for name, value in zip(PARAMS[code], values, strict=True)
    }
    text = _TEMPLATES[lang][code].format(**localised)
    if contact:
        text += _RESENT_TO[lang].format(contact=isolated(contact, lang))
    return text


def render_reason(reason: ObjectionReason, language: str) -> str:
    """An objection reason as a clause in ``language`` (unknown languages get English).

    >>> render_reason(ObjectionReason.CIVILIANS_PRESENT, "en")
    'civilians are present in the area'
    """
    return _REASONS[_supported(language)][reason]


def render_free_text(text: str, language: str) -> str:
    """Free text as carried on the line, marked as not translated, in ``language``.

    >>> render_free_text("Bridge at 37S is down.", "en")
    'Free text (not translated): Bridge at 37S is down.'
    """
    lang = _supported(language)
    return f"{_FREE_TEXT_MARK[lang]}: {isolated(text, lang)}"


def activity_name(activity: str, language: str) -> str:
    """The name of an activity kind in ``language``; an unknown kind is returned as given.

    Kinds are matched without regard to case.

    >>> activity_name("Convoy", "ru")
    'колонна'
    >>> activity_name("airdrop", "ru")
    'airdrop'
    """
    return _ACTIVITIES[_supported(language)].get(activity.lower(), activity)


def _supported(language: str) -> str:
    """The supported language a tag asks for: "ru-RU" -> "ru"; anything unknown -> "en"."""
    primary = language.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else "en"


def _localised(name: str, value: str, language: str) -> str:
    """A parameter's value as it appears in ``language``: codes named, the rest isolated."""
    if name == "reason":
        return render_reason(ObjectionReason(value), language)
    if name == "text":
        return render_free_text(value, language)
    if name == "activity":
        return isolated(activity_name(value, language), language)
    if name == "count" and value == UFN:
        return _UNTIL_FURTHER_NOTICE[language]
    if name in _TIMES and value == UFN:
        return _OPEN_END[language]
    if value in _WITHHELD:
        return _WITHHELD[value][language]
    if name == "occurrences":
        return isolated(value.replace(f"–{UFN}", f"–{_OPEN_END_ALONE[language]}"), language)
    named = _FEATURE_VERSION.fullmatch(value) if name == "notice" else None
    if named is not None:
        feature = isolated(named["feature"], language)
        return _VERSION[language].format(feature=feature, version=named["version"])
    if name in _DISTANCES_M_PER_UNIT:
        return isolated(_distance(value, _DISTANCES_M_PER_UNIT[name], language), language)
    return isolated(value, language)


# Distance parameters and the metres in one unit of each.
_DISTANCES_M_PER_UNIT = {"distance_km": 1000.0, "widened_m": 1.0}


def _distance(value: str, metres_per_unit: float, language: str) -> str:
    """A distance parameter with its unit in `language`; anything not a number as it is."""
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return value
    return format_distance(number * metres_per_unit, language)


def isolated(value: str, language: str) -> str:
    """A caller's value as right-to-left text must carry it: wrapped in first-strong isolates
    (U+2068 ... U+2069), which keep a left-to-right value's order; in other languages as is."""
    return f"\u2068{value}\u2069" if language in _RIGHT_TO_LEFT else value

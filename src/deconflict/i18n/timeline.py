"""A notice's proven thread told as a timeline an arbiter reads, in English, Russian or Arabic.

Each entry of an evidence file becomes who did what: a message is rendered
from its code and parameters as the parties read it (messages.py), every other
entry from the templates below. Names, ids, times and typed text are isolated
in Arabic so they keep their order inside right-to-left text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deconflict.i18n.dtg import format_dtg
from deconflict.i18n.messages import LANGUAGES, MessageCode, render, render_free_text

__all__ = ["LINE", "NOT_EVIDENCED", "TEMPLATES", "describe", "words"]

LINE = {"en": "the line", "ru": "линия", "ar": "الخط"}
"""Who did what the line itself did (an escalation when the respond-by time passed)."""

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "index": "Leaf",
        "dtg": "DTG",
        "iso": "Time (UTC, ISO 8601)",
        "who": "Who",
        "what": "What",
        "title": "Notice {notice}: its thread as the record proves it",
        "proven": "{count} entries proven in the record {origin} of {size} entries (root {root}), "
        "every opening and {signatures} party signatures checked.",
        "cosigned": "The checkpoint is cosigned by the witnesses: {names}.",
        "not_cosigned": "No witness's cosignature was required.",
        "exported_by": "Exported by {party}, whose openings the file holds.",
        "party": "joins the line",
        "party_key": "registers the key its signatures are checked with ({key})",
        "declared": "declares {kind} {feature}, version {version}",
        "amended": "amends {kind} {feature}: version {version}",
        "cancelled": "cancels {kind} {feature} (version {version})",
        "closed": "{kind} {feature} is closed out, its time over (version {version})",
        "zone": "zone",
        "activity": "activity",
        "notice": "sends notice {notice} to {recipient} about {feature}, version {version}; "
        "respond by {respond_by}; {conflicts} conflicts",
        "notice_withheld": "sends notice {notice} to {recipient} about a withheld zone; "
        "respond by {respond_by}; {conflicts} conflicts",
        "priority": " (priority)",
        "delivered": "notice {notice} is delivered (fetched with its token)",
        "read": "opens notice {notice}",
        "responded": "responds to notice {notice}: {response}",
        "overdue": "notice {notice} passed its respond-by time unanswered and was escalated",
        "fetched_notice": "fetches notice {notice}, signing the request (RFC 9421)",
        "fetched_inbox": "fetches its inbox, signing the request (RFC 9421), and is shown "
        "notices {notices}",
        "delivery": "sends the escalation of notice {notice} by {channel} to {to} "
        "(attempt {attempt}): {outcome}",
        "delivery_delivered": "accepted by the receiver",
        "delivery_failed": "failed ({reason}); tried again later",
        "delivery_given_up": "failed ({reason}); given up",
        "email": "e-mail",
        "webhook": "webhook",
        "signed": " [signed by {party}]",
        "open_ended": "open-ended",
        "acknowledged": "acknowledged",
        "objection": "objection",
        "clarification": "clarification asked",
    },
    "ru": {
        "index": "Лист",
        "dtg": "ДВГ",
        "iso": "Время (UTC, ISO 8601)",
        "who": "Кто",
        "what": "Что",
        "title": "Уведомление {notice}: его переписка, как её доказывает журнал",
        "proven": "Доказано записей: {count}, в журнале {origin} из {size} записей (корень "
        "{root}); проверены все раскрытия и подписи сторон ({signatures}).",
        "cosigned": "Контрольная точка заверена свидетелями: {names}.",
        "not_cosigned": "Заверение свидетелей не требовалось.",
        "exported_by": "Выгружено стороной {party}; в файле её раскрытия.",
        "party": "подключается к линии",
        "party_key": "регистрирует ключ для проверки своих подписей ({key})",
        "declared": "объявляет: {kind} {feature}, версия {version}",
        "amended": "изменяет: {kind} {feature}, версия {version}",
        "cancelled": "отменяет: {kind} {feature} (версия {version})",
        "closed": "{kind} {feature}: время истекло, закрыто (версия {version})",
        "zone": "зона",
        "activity": "деятельность",
        "notice": "направляет уведомление {notice} получателю {recipient} о {feature}, версия "
        "{version}; ответить до {respond_by}; конфликтов: {conflicts}",
        "notice_withheld": "направляет уведомление {notice} получателю {recipient} о скрытой "
        "зоне; ответить до {respond_by}; конфликтов: {conflicts}",
        "priority": " (приоритетное)",
        "delivered": "уведомление {notice} доставлено (получено по её токену)",
        "read": "открывает уведомление {notice}",
        "responded": "отвечает на уведомление {notice}: {response}",
        "overdue": "срок ответа на уведомление {notice} истёк без ответа; эскалировано",
        "fetched_notice": "запрашивает уведомление {notice}, подписав запрос (RFC 9421)",
        "fetched_inbox": "запрашивает свои входящие, подписав запрос (RFC 9421); показаны "
        "уведомления {notices}",
        "delivery": "отправляет эскалацию уведомления {notice} ({channel}) на {to} "
        "(попытка {attempt}): {outcome}",
        "delivery_delivered": "принято получателем",
        "delivery_failed": "не удалось ({reason}); будет повторено",
        "delivery_given_up": "не удалось ({reason}); попытки прекращены",
        "email": "эл. почта",
        "webhook": "вебхук",
        "signed": " [подписано: {party}]",
        "open_ended": "бессрочно",
        "acknowledged": "подтверждено",
        "objection": "возражение",
        "clarification": "запрошено уточнение",
    },
    "ar": {
        "index": "الورقة",
        "dtg": "مجموعة التاريخ والوقت",
        "iso": "الوقت (UTC، ISO 8601)",
        "who": "مَن",
        "what": "ماذا",
        "title": "الإشعار {notice}: سلسلته كما يثبتها السجل",
        "proven": "ثبت {count} من القيود في السجل {origin} المؤلف من {size} قيدًا (الجذر "
        "{root})، وتم التحقق من كل إفصاح ومن توقيعات الأطراف ({signatures}).",
        "cosigned": "نقطة التحقق موقَّعة من الشهود: {names}.",
        "not_cosigned": "لم يُشترط توقيع أي شاهد.",
        "exported_by": "صدَّره الطرف {party}، والملف يحوي إفصاحاته.",
        "party": "ينضم إلى الخط",
        "party_key": "يسجّل المفتاح الذي تُتحقق به توقيعاته ({key})",
        "declared": "يعلن: {kind} {feature}، الإصدار {version}",
        "amended": "يعدّل: {kind} {feature}، الإصدار {version}",
        "cancelled": "يلغي: {kind} {feature} (الإصدار {version})",
        "closed": "{kind} {feature}: انتهى وقته فأُغلق (الإصدار {version})",
        "zone": "منطقة",
        "activity": "نشاط",
        "notice": "يرسل الإشعار {notice} إلى {recipient} بشأن {feature}، الإصدار {version}؛ "
        "الرد قبل {respond_by}؛ التعارضات: {conflicts}",
        "notice_withheld": "يرسل الإشعار {notice} إلى {recipient} بشأن منطقة محجوبة؛ "
        "الرد قبل {respond_by}؛ التعارضات: {conflicts}",
        "priority": " (ذو أولوية)",
        "delivered": "سُلِّم الإشعار {notice} (جُلب برمز الطرف)",
        "read": "يفتح الإشعار {notice}",
        "responded": "يرد على الإشعار {notice}: {response}",
        "overdue": "انقضى موعد الرد على الإشعار {notice} دون رد فصُعِّد",
        "fetched_notice": "يجلب الإشعار {notice} بطلب موقَّع (RFC 9421)",
        "fetched_inbox": "يجلب صندوق وارده بطلب موقَّع (RFC 9421)، وتُعرض عليه الإشعارات {notices}",
        "delivery": "يرسل تصعيد الإشعار {notice} عبر {channel} إلى {to} "
        "(المحاولة {attempt}): {outcome}",
        "delivery_delivered": "قبله المستلم",
        "delivery_failed": "أخفق ({reason})؛ سيُعاد لاحقًا",
        "delivery_given_up": "أخفق ({reason})؛ توقفت المحاولات",
        "email": "البريد الإلكتروني",
        "webhook": "خطاف ويب",
        "signed": " [بتوقيع {party}]",
        "open_ended": "مفتوح المدة",
        "acknowledged": "تأكيد الاستلام",
        "objection": "اعتراض",
        "clarification": "طلب توضيح",
    },
}

NOT_EVIDENCED = {
    "en": "Not in the record, so not proven here: which person at a party saw a notice (a "
    "delivery or a read is the party's token fetching it), who read an escalation's e-mail or "
    "webhook (the record holds the line's word of each attempt and what the receiver "
    "answered), and whether this file leaves out entries of the thread (the other party's "
    "file, or the whole record, shows that).",
    "ru": "Этого нет в журнале, поэтому здесь не доказано: кто именно у стороны видел "
    "уведомление (доставка и прочтение означают, что его получил токен стороны), кто прочёл "
    "письмо или вебхук эскалации (в журнале — слово линии о каждой попытке и ответ "
    "получателя), и не опущены ли в этом файле записи переписки (это покажет файл другой "
    "стороны или весь журнал).",
    "ar": "ليس في السجل، فلا يُثبت هنا: أيّ شخص لدى الطرف رأى الإشعار (التسليم أو الفتح يعني "
    "أن رمز الطرف جلبه)، ومن قرأ بريد التصعيد أو خطافه (في السجل قول الخط عن كل محاولة وجواب "
    "المستلم)، وهل أغفل هذا الملف قيودًا من السلسلة (يُظهر ذلك ملف الطرف الآخر أو السجل كله).",
}
"""What an evidence file cannot prove, said under every timeline."""


def words(language: str) -> dict[str, str]:
    """The timeline's words in `language` (unknown languages get English)."""
    return TEMPLATES[language if language in LANGUAGES else "en"]


def describe(
    view: Mapping[str, Any],
    names: Mapping[str, str],
    recipients: Mapping[Any, Any],
    language: str,
) -> tuple[str, str]:
    """Who did what in one proven entry of a thread, in `language`: (who, what).

    `names` gives each party's display name (a party missing from it is shown by its id);
    `recipients` each notice's recipient, who moves its state (delivered, read, responded).
    """
    lang = language if language in LANGUAGES else "en"
    said = words(lang)
    kind = view.get("kind")

    def name(party: Any) -> str:
        return _isolated(names.get(str(party), str(party)), lang)

    def value(text: Any) -> str:
        return _isolated(str(text), lang)

    if kind == "party" or kind == "party_key":
        key = value(str(view.get("public_key", ""))[:12] + "…")
        return name(view.get("party")), said[str(kind)].format(key=key)
    if kind == "feature":
        what = said.get(str(view.get("change")), str(view.get("change")))
        return name(view.get("party")), what.format(
            kind=said.get(str(view.get("feature_kind")), str(view.get("feature_kind"))),
            feature=value(view.get("feature_id")),
            version=value(view.get("version")),
        )
    if kind == "notice":
        template = "notice" if view.get("feature_id") is not None else "notice_withheld"
        respond_by = view.get("respond_by")
        what = said[template].format(
            notice=value(view.get("notice")),
            recipient=name(view.get("recipient")),
            feature=value(view.get("feature_id")),
            version=value(view.get("version")),
            respond_by=value(_dtg_and_iso(str(respond_by))) if respond_by else said["open_ended"],
            conflicts=value(len(view.get("conflicts") or [])),
        )
        return name(view.get("sender")), what + (said["priority"] if view.get("priority") else "")
    if kind == "message":
        return name(view.get("sender")), _message(view, names, lang)
    if kind == "notice_state":
        state, response = str(view.get("state")), str(view.get("response"))
        what = said.get(state, state).format(
            notice=value(view.get("notice")), response=said.get(response, value(response))
        )
        return name(recipients.get(view.get("notice"), "")), what
    if kind == "overdue":
        return LINE[lang], said["overdue"].format(notice=value(view.get("notice")))
    if kind == "read":
        if view.get("notice") is None:
            shown = ", ".join(str(n) for n in view.get("notices") or []) or "—"
            return name(view.get("party")), said["fetched_inbox"].format(notices=value(shown))
        return name(view.get("party")), said["fetched_notice"].format(
            notice=value(view.get("notice"))
        )
    if kind == "delivery":
        outcome = said.get(f"delivery_{view.get('outcome')}", value(view.get("outcome")))
        channel = str(view.get("channel"))
        return LINE[lang], said["delivery"].format(
            notice=value(view.get("notice")),
            channel=said.get(channel, value(channel)),
            to=value(view.get("to")),
            attempt=value(view.get("attempt")),
            outcome=outcome.format(reason=value(view.get("reason") or "—")),
        )
    return "", value(kind)


def _message(view: Mapping[str, Any], names: Mapping[str, str], language: str) -> str:
    params = {str(k): str(v) for k, v in (view.get("params") or {}).items()}
    try:
        text = render(MessageCode(str(view.get("code"))), params, language)
    except (KeyError, ValueError):  # a code or parameters this version cannot render
        text = _isolated(f"{view.get('code')} {params}", language)
    if view.get("free_text"):
        text += " " + render_free_text(str(view["free_text"]), language)
    if isinstance(view.get("signed"), dict) or "http_signed" in view:
        sender = str(view.get("sender"))
        party = _isolated(names.get(sender, sender), language)
        text += words(language)["signed"].format(party=party)
    return text


def _dtg_and_iso(at: str) -> str:
    """A recorded time as a DTG with its ISO form, as the line's messages write times."""
    try:
        return f"{format_dtg(datetime.fromisoformat(at))} ({at})"
    except ValueError:  # not an aware ISO time: shown as recorded
        return at


def _isolated(value: str, language: str) -> str:
    # First-strong isolates keep a left-to-right value's order in right-to-left text.
    return f"\u2068{value}\u2069" if language == "ar" else value

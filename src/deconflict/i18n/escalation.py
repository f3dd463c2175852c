"""The e-mail an overdue notice is escalated with, written in the recipient's language.

The mail is plain text: a subject, a sentence saying why it came, the notice's
facts one a line (each value as the caller formatted it: ids, DTG and ISO times,
names), the notice's thread as the recipient reads it, and a link to the notice.
The words are this module's templates, never machine-translated; in Arabic
every value is isolated (`messages.isolated`) so Latin names and times keep
their order inside right-to-left text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deconflict.i18n.messages import LANGUAGES, isolated

__all__ = ["FACTS", "EscalationMail", "escalation_mail"]

FACTS = ("notice", "sender", "recipient", "feature", "sent", "respond_by", "overdue", "contact")
"""The facts a mail states, in order: the notice's id, its sender and recipient (names), what
it is about, when it was sent, the deadline it missed, when it was escalated, and the
escalation contact (each may be "" when the line has none: then its line is left out)."""

_SUBJECT = {
    "en": "Overdue: notice {notice} from {sender}, unanswered since {since}",
    "ru": "Просрочено: уведомление {notice} (отправитель: {sender}), ответа нет с {since}",
    "ar": "تأخر في الرد: الإشعار {notice} من {sender}، دون رد منذ {since}",
}

_WHY = {
    "en": (
        "Notice {notice} on the deconfliction line has not been answered by its deadline."
        " It is escalated to you, {recipient}'s escalation contact."
    ),
    "ru": (
        "Уведомление {notice} на линии деконфликтации не получило ответа в срок."
        " Оно направлено вам как контакту для эскалации стороны {recipient}."
    ),
    "ar": (
        "لم يصل رد على الإشعار {notice} على خط منع التضارب في موعده."
        " وقد صُعِّد إليكم بصفتكم جهة التصعيد لدى {recipient}."
    ),
}

_LABELS = {
    "en": {
        "notice": "Notice",
        "sender": "From",
        "recipient": "To",
        "feature": "About",
        "sent": "Sent",
        "respond_by": "Answer was due",
        "overdue": "Escalated",
        "contact": "Escalation contact",
        "thread": "Thread",
        "link": "Open the notice on the line",
    },
    "ru": {
        "notice": "Уведомление",
        "sender": "Отправитель",
        "recipient": "Получатель",
        "feature": "Объект",
        "sent": "Отправлено",
        "respond_by": "Срок ответа",
        "overdue": "Эскалация",
        "contact": "Контакт для эскалации",
        "thread": "Переписка",
        "link": "Открыть уведомление на линии",
    },
    "ar": {
        "notice": "الإشعار",
        "sender": "المرسل",
        "recipient": "المستلم",
        "feature": "بشأن",
        "sent": "أُرسل",
        "respond_by": "موعد الرد",
        "overdue": "التصعيد",
        "contact": "جهة التصعيد",
        "thread": "المراسلات",
        "link": "افتح الإشعار على الخط",
    },
}


@dataclass(frozen=True)
class EscalationMail:
    """An escalation e-mail: its subject and plain-text body, in `language`."""

    subject: str
    body: str
    language: str


def escalation_mail(
    facts: Mapping[str, str], thread: Sequence[str], link: str, language: str
) -> EscalationMail:
    """The mail escalating a notice, in `language` (one the line does not speak: English).

    `facts` holds every name in FACTS (KeyError for the first missing); `thread` is the
    notice's messages as the recipient reads them; `link` the notice's address on the line.

    >>> mail = escalation_mail(
    ...     {"notice": "7", "sender": "Coalition", "recipient": "Aid", "feature": "drill-1 v1",
    ...      "sent": "061200ZSEP26", "respond_by": "061230ZSEP26", "overdue": "061231ZSEP26",
    ...      "contact": ""},
    ...     [], "https://line.example/#notice/7", "en")
    >>> mail.subject
    'Overdue: notice 7 from Coalition, unanswered since 061230ZSEP26'
    >>> "Escalation contact" in mail.body
    False
    """
    lang = language if language in LANGUAGES else "en"
    shown = {name: isolated(facts[name], lang) for name in FACTS}
    labels = _LABELS[lang]
    subject = _SUBJECT[lang].format(
        notice=shown["notice"], sender=shown["sender"], since=shown["respond_by"]
    )
    lines = [_WHY[lang].format(notice=shown["notice"], recipient=shown["recipient"]), ""]
    lines += [f"{labels[name]}: {shown[name]}" for name in FACTS if facts[name]]
    if thread:
        lines += ["", f"{labels['thread']}:", *(f"- {message}" for message in thread)]
    lines += ["", f"{labels['link']}: {link}", ""]
    return EscalationMail(subject, "\n".join(lines), lang)

// The server's refusals (problem+json) said in the console's language from their code and
// params; only a code this console does not know is shown in the server's English, marked so.

import { addWords, bidi, language, t, translates } from "./i18n.js";

const en = {
  "problem.untranslated": "Not translated",
  "problem.unreachable": "The server cannot be reached.",
  "problem.error": "The line refused this.",
  "problem.invalid_value": "{field}: the value {value} is not accepted.",
  "problem.unreadable_position": "Cannot read the position {value}: {reason}.",
  "problem.unreadable_time": "{field}: cannot read the time {value} (a DTG such as 062200ZSEP27, or ISO with Z).",
  "problem.invalid_plan": "{count} problem(s) to fix.",
  "problem.too_large": "Too large: {value} is over the line's limit of {limit}.",
  "problem.not_found": "Not found: {value}.",
  "problem.forbidden": "Your party may not do this.",
  "problem.state_conflict": "This contradicts what the line holds now; reload and try again.",
  "problem.rate_limited": "Too many checks that meet hidden zones; try again in {retry_after_s} s.",
  "problem.engine_failure": "The conflict engine could not decide {feature_id}; nothing was stored. Tell the line's operator.",
  "problem.record_refused": "The record cannot serve this request ({field}).",
  "problem.invalid_proof": "A proof does not verify.",
  "problem.invalid_signature": "A signature does not verify ({field}).",
  "problem.invalid_checkpoint": "A checkpoint cannot be read.",
  "problem.no_canonical_form": "A value cannot be written as canonical JSON ({field}).",
  "problem.end_not_after_start": "{field}: the end must be after the start.",
  "problem.until_not_after_start": "{field} must be after start: the repeat stops after the first start.",
  "problem.lower_above_upper": "{field}: the lower level is above the upper level.",
  "problem.too_many_vertices": "The shape has {value} points, over the line's limit of {limit}.",
  "problem.activity_over": "The activity ended at {value}, before now: nobody could act on its notice.",
  "problem.id_in_use": "The reference {value} is in use: amend that feature, or choose another reference.",
  "problem.not_own_feature": "A party declares, amends and cancels only its own features.",
  "problem.already_cancelled": "{value} is cancelled already.",
  "problem.cancelled_not_amendable": "A cancelled feature cannot be amended; declare a new one.",
  "problem.reason_needed": "An objection needs a reason.",
  "problem.text_needed": "A reply needs text.",
  "problem.not_recipient": "Only the notice's recipient answers it; reply instead.",
  "problem.no_response_taken": "This notice is for information; it takes no answer.",
  "problem.idempotency_key_reused": "This request was already sent with other content.",
  "problem.role_needed": "This needs a token with the {role} role; yours has the {yours} role.",
  "problem.csrf_missing": "The console's session is out of date; reload the page.",
  "problem.http_signature_malformed": "The request's signature (RFC 9421) cannot be read ({field}).",
  "problem.http_signature_component_missing": "The request's signature (RFC 9421) does not cover {component}.",
  "problem.http_signature_wrong_key": "The request is signed with a key that is not your party's registered key.",
  "problem.http_signature_stale": "The request's signature is too old (more than {skew_s} s); check your clock and send it again.",
  "problem.http_signature_future": "The request's signature is dated in the future (more than {skew_s} s); check your clock.",
  "problem.content_digest_mismatch": "The signed Content-Digest is not the digest of the body.",
  "problem.missing_ovns": "The key lacks the current version of {count} operational intents or constraints this write meets; read them and try again.",
  "problem.uss_down": "This USS is marked Down at the DSS and may not make this change.",
  "problem.bad_request": "The request cannot be read.",
  "problem.not_signed_in": "You are not signed in, or your token was revoked.",
  "problem.method_not_allowed": "The server does not take this request.",
  "problem.request_timeout": "The request did not arrive in time; try again.",
  "problem.unsupported_media_type": "The server does not take this kind of content.",
  "problem.invalid_request": "{field}: the value {value} is not accepted.",
  "problem.invalid_json": "The request is not JSON the server reads.",
  "problem.body_too_large": "The request is over the line's limit of {limit_bytes} bytes.",
  "problem.internal_error": "The server failed. Quote {request_id} to the line's operator.",
  "position.empty": "no position given",
  "position.mgrs_zone": "the MGRS zone {zone} is not 1 to 60",
  "position.mgrs_blocks": "MGRS digits are one block, or easting then northing",
  "position.mgrs_uneven": "MGRS easting and northing need the same number of digits",
  "position.mgrs_too_precise": "MGRS takes at most 5 digits each for easting and northing",
  "position.mgrs_invalid": "no such MGRS grid square",
  "position.mgrs_band": "the MGRS latitude band letter does not match the grid square",
  "position.mgrs_trailing": "an MGRS reference holds only digits after its grid square, not {character}",
  "position.separators": "more than one separator; write latitude, longitude",
  "position.one_value_each_side": "one value on each side of the separator",
  "position.unexpected_character": "unexpected character {character}",
  "position.ambiguous_split": "cannot tell where latitude ends and longitude begins; separate them with a comma",
  "position.sign_placement": "a sign may only stand before the degrees",
  "position.hemisphere_alone": "the hemisphere letter {letter} has no number",
  "position.hemisphere_twice": "two hemisphere letters in a row",
  "position.unit_order": "{unit} given without {missing}",
  "position.value_count": "a latitude and a longitude are needed, not {count} value(s)",
  "position.same_axis": "both values are {axis}s",
  "position.sign_and_hemisphere": "a value has both a minus sign and a hemisphere letter",
  "position.out_of_range": "the {axis} must be between -{limit} and {limit} degrees",
  "position.compact_digits": "a compact {axis} has {digits} digits",
  "position.fraction_before": "the {unit} must be whole when smaller units follow",
  "position.sixty": "the {unit} must be below 60",
  "axis.latitude": "latitude",
  "axis.longitude": "longitude",
  "unit.degrees": "degrees",
  "unit.minutes": "minutes",
  "unit.seconds": "seconds",
  "field.position": "Position",
  "field.time": "Time",
  "field.start": "Start",
  "field.end": "End",
  "field.respond_by": "Respond by",
  "field.radius_m": "Radius",
  "field.buffer_m": "Safety buffer",
  "field.half_width_m": "Half width",
  "field.altitude": "Altitude",
  "field.repeat": "Repeats",
  "field.repeat.until": "Until",
  "field.id": "Reference",
  "field.name": "Name",
  "field.geometry": "Shape",
  "field.geometry.coordinates": "Shape",
  "field.reason": "Reason",
  "field.text": "Text",
};

const ru = {
  "problem.untranslated": "Без перевода",
  "problem.unreachable": "Сервер недоступен.",
  "problem.error": "Линия отклонила запрос.",
  "problem.invalid_value": "{field}: значение {value} не принято.",
  "problem.unreadable_position": "Не удалось прочитать координаты {value}: {reason}.",
  "problem.unreadable_time": "{field}: не удалось прочитать время {value} (DTG, например 062200ZSEP27, или ISO с Z).",
  "problem.invalid_plan": "Исправьте ошибки: {count}.",
  "problem.too_large": "Слишком много: {value}, предел линии — {limit}.",
  "problem.not_found": "Не найдено: {value}.",
  "problem.forbidden": "Вашей стороне это не разрешено.",
  "problem.state_conflict": "Это противоречит текущим данным линии; обновите страницу и повторите.",
  "problem.rate_limited": "Слишком много проверок, задевающих скрытые зоны; повторите через {retry_after_s} с.",
  "problem.engine_failure": "Модуль конфликтов не смог оценить {feature_id}; ничего не сохранено. Сообщите оператору линии.",
  "problem.record_refused": "Журнал не может выполнить этот запрос ({field}).",
  "problem.invalid_proof": "Доказательство не подтверждается.",
  "problem.invalid_signature": "Подпись не подтверждается ({field}).",
  "problem.invalid_checkpoint": "Не удалось прочитать контрольную точку.",
  "problem.no_canonical_form": "Значение нельзя записать в каноническом JSON ({field}).",
  "problem.end_not_after_start": "{field}: окончание должно быть позже начала.",
  "problem.until_not_after_start": "{field}: повторы должны заканчиваться после первого начала.",
  "problem.lower_above_upper": "{field}: нижний уровень выше верхнего.",
  "problem.too_many_vertices": "В контуре {value} точек, предел линии — {limit}.",
  "problem.activity_over": "Мероприятие закончилось в {value}, раньше текущего момента: по уведомлению уже нельзя действовать.",
  "problem.id_in_use": "Обозначение {value} уже занято: измените этот объект или выберите другое обозначение.",
  "problem.not_own_feature": "Сторона объявляет, изменяет и отменяет только свои объекты.",
  "problem.already_cancelled": "{value} уже отменён.",
  "problem.cancelled_not_amendable": "Отменённый объект нельзя изменить; объявите новый.",
  "problem.reason_needed": "Для возражения нужна причина.",
  "problem.text_needed": "В ответе нужен текст.",
  "problem.not_recipient": "Отвечает на уведомление только получатель; напишите сообщение.",
  "problem.no_response_taken": "Это уведомление для сведения; ответа не требуется.",
  "problem.idempotency_key_reused": "Этот запрос уже был отправлен с другим содержанием.",
  "problem.role_needed": "Нужен токен с ролью {role}; у вас — {yours}.",
  "problem.csrf_missing": "Сеанс консоли устарел; обновите страницу.",
  "problem.http_signature_malformed": "Подпись запроса (RFC 9421) не читается ({field}).",
  "problem.http_signature_component_missing": "Подпись запроса (RFC 9421) не охватывает {component}.",
  "problem.http_signature_wrong_key": "Запрос подписан ключом, который не зарегистрирован для вашей стороны.",
  "problem.http_signature_stale": "Подпись запроса устарела (более {skew_s} с); проверьте часы и отправьте снова.",
  "problem.http_signature_future": "Подпись запроса датирована будущим (более {skew_s} с); проверьте часы.",
  "problem.content_digest_mismatch": "Подписанный Content-Digest не совпадает с дайджестом тела запроса.",
  "problem.missing_ovns": "В ключе нет текущей версии {count} операционных намерений или ограничений, с которыми пересекается эта запись; прочитайте их и повторите.",
  "problem.uss_down": "Этот USS отмечен в DSS как недоступный и не может внести это изменение.",
  "problem.bad_request": "Запрос не удалось прочитать.",
  "problem.not_signed_in": "Вы не вошли, или ваш токен отозван.",
  "problem.method_not_allowed": "Сервер не принимает такой запрос.",
  "problem.request_timeout": "Запрос не пришёл вовремя; повторите.",
  "problem.unsupported_media_type": "Сервер не принимает такое содержимое.",
  "problem.invalid_request": "{field}: значение {value} не принято.",
  "problem.invalid_json": "Запрос не является JSON, который читает сервер.",
  "problem.body_too_large": "Запрос больше предела линии: {limit_bytes} байт.",
  "problem.internal_error": "Сбой сервера. Сообщите оператору линии номер {request_id}.",
  "position.empty": "координаты не указаны",
  "position.mgrs_zone": "зона MGRS {zone} не от 1 до 60",
  "position.mgrs_blocks": "цифры MGRS — один блок или восточная, затем северная координата",
  "position.mgrs_uneven": "в восточной и северной координатах MGRS должно быть одинаковое число цифр",
  "position.mgrs_too_precise": "в MGRS не больше 5 цифр на каждую координату",
  "position.mgrs_invalid": "такого квадрата MGRS нет",
  "position.mgrs_band": "буква широтного пояса MGRS не соответствует квадрату",
  "position.mgrs_trailing": "после квадрата MGRS допустимы только цифры, а не {character}",
  "position.separators": "больше одного разделителя; пишите: широта, долгота",
  "position.one_value_each_side": "по одному значению с каждой стороны разделителя",
  "position.unexpected_character": "неожиданный символ {character}",
  "position.ambiguous_split": "неясно, где кончается широта и начинается долгота; разделите их запятой",
  "position.sign_placement": "знак может стоять только перед градусами",
  "position.hemisphere_alone": "у буквы полушария {letter} нет числа",
  "position.hemisphere_twice": "две буквы полушария подряд",
  "position.unit_order": "{unit}: указаны без {missing}",
  "position.value_count": "нужны широта и долгота, а значений: {count}",
  "position.same_axis": "оба значения — {axis}",
  "position.sign_and_hemisphere": "у значения и знак минус, и буква полушария",
  "position.out_of_range": "{axis}: допустимо от -{limit} до {limit} градусов",
  "position.compact_digits": "{axis} в сжатой записи: цифр {digits}",
  "position.fraction_before": "{unit}: должны быть целыми, если дальше идут меньшие единицы",
  "position.sixty": "{unit}: должно быть меньше 60",
  "axis.latitude": "широта",
  "axis.longitude": "долгота",
  "unit.degrees": "градусы",
  "unit.minutes": "минуты",
  "unit.seconds": "секунды",
  "field.position": "Координаты",
  "field.time": "Время",
  "field.start": "Начало",
  "field.end": "Окончание",
  "field.respond_by": "Ответить до",
  "field.radius_m": "Радиус",
  "field.buffer_m": "Зона безопасности",
  "field.half_width_m": "Полуширина",
  "field.altitude": "Высота",
  "field.repeat": "Повторы",
  "field.repeat.until": "До",
  "field.id": "Обозначение",
  "field.name": "Название",
  "field.geometry": "Контур",
  "field.geometry.coordinates": "Контур",
  "field.reason": "Причина",
  "field.text": "Текст",
};

const ar = {
  "problem.untranslated": "غير مترجم",
  "problem.unreachable": "تعذّر الوصول إلى الخادم.",
  "problem.error": "رفض الخط هذا الطلب.",
  "problem.invalid_value": "{field}: القيمة {value} غير مقبولة.",
  "problem.unreadable_position": "تعذّرت قراءة الموقع {value}: {reason}.",
  "problem.unreadable_time": "{field}: تعذّرت قراءة الوقت {value} (مجموعة تاريخ ووقت مثل 062200ZSEP27، أو ISO مع Z).",
  "problem.invalid_plan": "مشكلات يجب إصلاحها: {count}.",
  "problem.too_large": "أكبر من اللازم: {value}، وحد الخط {limit}.",
  "problem.not_found": "غير موجود: {value}.",
  "problem.forbidden": "لا يحق لطرفكم القيام بذلك.",
  "problem.state_conflict": "هذا يتعارض مع ما يحفظه الخط الآن؛ أعد تحميل الصفحة وحاول مجددًا.",
  "problem.rate_limited": "عمليات تحقق كثيرة تمس مناطق مخفية؛ حاول مجددًا بعد {retry_after_s} ث.",
  "problem.engine_failure": "تعذّر على محرك التعارضات البت في {feature_id}؛ لم يُحفظ شيء. أبلغ مشغّل الخط.",
  "problem.record_refused": "لا يستطيع السجل تلبية هذا الطلب ({field}).",
  "problem.invalid_proof": "البرهان غير صحيح.",
  "problem.invalid_signature": "التوقيع غير صحيح ({field}).",
  "problem.invalid_checkpoint": "تعذّرت قراءة نقطة التحقق.",
  "problem.no_canonical_form": "لا يمكن كتابة القيمة بصيغة JSON القياسية ({field}).",
  "problem.end_not_after_start": "{field}: يجب أن تكون النهاية بعد البداية.",
  "problem.until_not_after_start": "{field}: يجب أن يتوقف التكرار بعد البداية الأولى.",
  "problem.lower_above_upper": "{field}: المستوى الأدنى أعلى من المستوى الأعلى.",
  "problem.too_many_vertices": "في الشكل {value} نقطة، وحد الخط {limit}.",
  "problem.activity_over": "انتهى النشاط في {value}، قبل الآن: لا يمكن لأحد التصرف بناءً على إشعاره.",
  "problem.id_in_use": "المرجع {value} مستخدم: عدّل ذلك العنصر أو اختر مرجعًا آخر.",
  "problem.not_own_feature": "يعلن الطرف ويعدّل ويلغي عناصره فقط.",
  "problem.already_cancelled": "{value} ملغى بالفعل.",
  "problem.cancelled_not_amendable": "لا يمكن تعديل عنصر ملغى؛ أعلن عنصرًا جديدًا.",
  "problem.reason_needed": "يحتاج الاعتراض إلى سبب.",
  "problem.text_needed": "يحتاج الرد إلى نص.",
  "problem.not_recipient": "يجيب على الإشعار مستلمه فقط؛ أرسل ردًا بدلًا من ذلك.",
  "problem.no_response_taken": "هذا الإشعار للعلم؛ لا يتطلب إجابة.",
  "problem.idempotency_key_reused": "أُرسل هذا الطلب من قبل بمحتوى مختلف.",
  "problem.role_needed": "يتطلب هذا رمزًا بدور {role}؛ ودور رمزك {yours}.",
  "problem.csrf_missing": "انتهت صلاحية جلسة وحدة التحكم؛ أعد تحميل الصفحة.",
  "problem.http_signature_malformed": "تعذّرت قراءة توقيع الطلب (RFC 9421) ({field}).",
  "problem.http_signature_component_missing": "توقيع الطلب (RFC 9421) لا يشمل {component}.",
  "problem.http_signature_wrong_key": "الطلب موقَّع بمفتاح ليس المفتاح المسجَّل لطرفك.",
  "problem.http_signature_stale": "توقيع الطلب قديم (أكثر من {skew_s} ث)؛ تحقّق من ساعتك وأعد الإرسال.",
  "problem.http_signature_future": "توقيع الطلب مؤرَّخ في المستقبل (أكثر من {skew_s} ث)؛ تحقّق من ساعتك.",
  "problem.content_digest_mismatch": "قيمة Content-Digest الموقَّعة لا تطابق خلاصة جسم الطلب.",
  "problem.missing_ovns": "ينقص المفتاحَ الإصدارُ الحالي لـ {count} من النوايا التشغيلية أو القيود التي تتقاطع معها هذه الكتابة؛ اقرأها وأعد المحاولة.",
  "problem.uss_down": "هذا الـ USS معلَّم في DSS بأنه متوقف، فلا يجوز له إجراء هذا التغيير.",
  "problem.bad_request": "تعذّرت قراءة الطلب.",
  "problem.not_signed_in": "لم تسجّل الدخول، أو أُلغي رمزك.",
  "problem.method_not_allowed": "لا يقبل الخادم هذا الطلب.",
  "problem.request_timeout": "لم يصل الطلب في الوقت المحدد؛ حاول مجددًا.",
  "problem.unsupported_media_type": "لا يقبل الخادم هذا النوع من المحتوى.",
  "problem.invalid_request": "{field}: القيمة {value} غير مقبولة.",
  "problem.invalid_json": "الطلب ليس JSON يقرؤه الخادم.",
  "problem.body_too_large": "الطلب أكبر من حد الخط البالغ {limit_bytes} بايت.",
  "problem.internal_error": "تعطّل الخادم. أبلغ مشغّل الخط بالرقم {request_id}.",
  "position.empty": "لم يُعطَ موقع",
  "position.mgrs_zone": "منطقة MGRS ‏{zone} ليست بين 1 و60",
  "position.mgrs_blocks": "أرقام MGRS كتلة واحدة، أو الإحداثي الشرقي ثم الشمالي",
  "position.mgrs_uneven": "يحتاج الإحداثيان الشرقي والشمالي في MGRS إلى العدد نفسه من الأرقام",
  "position.mgrs_too_precise": "لا تتجاوز أرقام MGRS خمسة لكل إحداثي",
  "position.mgrs_invalid": "لا يوجد مربع MGRS كهذا",
  "position.mgrs_band": "حرف نطاق العرض في MGRS لا يطابق المربع",
  "position.mgrs_trailing": "لا يلي مربع MGRS إلا أرقام، لا {character}",
  "position.separators": "أكثر من فاصل واحد؛ اكتب: خط العرض، خط الطول",
  "position.one_value_each_side": "قيمة واحدة على كل جانب من الفاصل",
  "position.unexpected_character": "حرف غير متوقع {character}",
  "position.ambiguous_split": "لا يتضح أين ينتهي خط العرض ويبدأ خط الطول؛ افصل بينهما بفاصلة",
  "position.sign_placement": "لا تأتي الإشارة إلا قبل الدرجات",
  "position.hemisphere_alone": "حرف نصف الكرة {letter} بلا رقم",
  "position.hemisphere_twice": "حرفا نصف كرة متتاليان",
  "position.unit_order": "{unit} بلا {missing}",
  "position.value_count": "المطلوب خط عرض وخط طول، لا عدد القيم {count}",
  "position.same_axis": "القيمتان كلتاهما {axis}",
  "position.sign_and_hemisphere": "لقيمة واحدة إشارة سالب وحرف نصف كرة معًا",
  "position.out_of_range": "{axis}: بين ‎-{limit} و{limit} درجة",
  "position.compact_digits": "{axis} بالصيغة المختصرة: عدد الأرقام {digits}",
  "position.fraction_before": "{unit}: يجب أن تكون عددًا صحيحًا حين تليها وحدات أصغر",
  "position.sixty": "{unit}: يجب أن تكون أقل من 60",
  "axis.latitude": "خط العرض",
  "axis.longitude": "خط الطول",
  "unit.degrees": "الدرجات",
  "unit.minutes": "الدقائق",
  "unit.seconds": "الثواني",
  "field.position": "الموقع",
  "field.time": "الوقت",
  "field.start": "البداية",
  "field.end": "النهاية",
  "field.respond_by": "الرد قبل",
  "field.radius_m": "نصف القطر",
  "field.buffer_m": "هامش الأمان",
  "field.half_width_m": "نصف العرض",
  "field.altitude": "الارتفاع",
  "field.repeat": "التكرار",
  "field.repeat.until": "حتى",
  "field.id": "المرجع",
  "field.name": "الاسم",
  "field.geometry": "الشكل",
  "field.geometry.coordinates": "الشكل",
  "field.reason": "السبب",
  "field.text": "النص",
};

addWords({ en, ru, ar });

// Codes that name a kind of problem, not its reason: in English the server's detail, which
// says the reason, is the better sentence; other languages say the kind and the field.
const SAID_BETTER_BY_DETAIL = new Set(["error", "invalid_value", "invalid_request", "state_conflict", "forbidden", "record_refused", "invalid_signature", "not_found"]);

// Params whose values are the console's own words: said in its language.
const WORDED = { axis: "axis", unit: "unit", missing: "unit" };

/** `field` as the console names it: its label when it has one, else the server's name kept
 * left to right. */
function fieldName(field) {
  if (field === null || field === undefined) return "";
  const name = String(field).replace(/^properties\./, "");
  return translates(`field.${name}`) ? t(`field.${name}`) : bidi(name);
}

function shown(value) {
  if (value === null || value === undefined) return "—";
  return bidi(typeof value === "string" ? value : JSON.stringify(value));
}

function words(params) {
  const said = {};
  for (const [name, value] of Object.entries(params || {})) {
    if (name === "field") said.field = fieldName(value);
    else if (WORDED[name] && translates(`${WORDED[name]}.${value}`)) said[name] = t(`${WORDED[name]}.${value}`);
    else said[name] = shown(value);
  }
  return said;
}

/**
 * One problem (or one of its `errors`) in the console's language: `{ text, translated }`.
 * A code this console does not know is shown in the server's English, marked "not translated".
 */
export function sayProblem(problem) {
  const code = problem?.code;
  if (!code || !translates(`problem.${code}`)) {
    const detail = problem?.detail || t("problem.error");
    return { text: `${t("problem.untranslated")}: ${bidi(detail)}`, translated: false };
  }
  if (language() === "en" && SAID_BETTER_BY_DETAIL.has(code) && problem.detail) return { text: problem.detail, translated: true };
  const params = words({ request_id: problem.request_id, ...problem.params });
  if (code === "unreadable_position") {
    const reason = problem.params?.reason;
    params.reason = translates(`position.${reason}`) ? t(`position.${reason}`, params) : shown(reason);
  }
  return { text: t(`problem.${code}`, params), translated: true };
}

/** A refusal as one line in the console's language: the problem, then each of its `errors`. */
export function sayRefusal(problem) {
  const parts = [sayProblem(problem).text];
  if (problem?.errors && problem.errors.length > 1) parts.push(...problem.errors.map((e) => sayProblem(e).text));
  return parts.join(" — ");
}

/*
 * fault_table.c - the sentences for faults, in English and Spanish.
 *
 * Design: data only.  Each row is keyed by code, field (NULL: any field) and
 * detail and holds one sentence per language (core/lang.h), a column each:
 * a language is one more string per row, never a second code path.  fault.c
 * finds the row and fills its placeholders ({field}, {limit}, {wait} ...;
 * see fault.c); every language's sentence must use the same placeholders
 * (tests/unit/test_fault.c checks it), though in any order.
 *
 * Spanish is plain Latin-American/US Spanish addressed as "usted".  The
 * readers are often families under stress: short sentences that say what
 * happened and what to do next.  Field names, header names and JSON values
 * stay as the API spells them; money stays "$3.50".  A facility is "centro",
 * a trust account "cuenta de fondos", a stamp "estampilla".
 */
#include "core/fault_table.h"

#define F_INVALID KITE_ERR_INVALID_FIELD

const fault_row fault_rows[] = {
    /* The shape of what a client sent (api/body.c and the handlers' edge checks). */
    {F_INVALID, NULL, FAULT_REQUIRED, {"The field \"{field}\" is required.", "El campo \"{field}\" es obligatorio."}},
    {F_INVALID, NULL, FAULT_NOT_STRING,
     {"The field \"{field}\" must be a string.", "El campo \"{field}\" debe ser texto."}},
    {F_INVALID, NULL, FAULT_NUL,
     {"The field \"{field}\" must not contain NUL characters.",
      "El campo \"{field}\" no debe contener caracteres NUL."}},
    {F_INVALID, NULL, FAULT_NOT_INTEGER,
     {"The field \"{field}\" must be a whole number.", "El campo \"{field}\" debe ser un número entero."}},
    {F_INVALID, NULL, FAULT_NOT_BOOLEAN,
     {"The field \"{field}\" must be true or false.", "El campo \"{field}\" debe ser true o false."}},
    {F_INVALID, NULL, FAULT_PARAM_RANGE,
     {"The parameter \"{field}\" must be a whole number from {min} to {max}.",
      "El parámetro \"{field}\" debe ser un número entero de {min} a {max}."}},
    {F_INVALID, NULL, FAULT_PARAM_CHOICE,
     {"The parameter \"{field}\" has a value Kite does not know.",
      "El parámetro \"{field}\" tiene un valor que Kite no conoce."}},
    {F_INVALID, "state", FAULT_FORMAT,
     {"The parameter \"state\" is not valid: use a two-letter state code.",
      "El parámetro \"state\" no es válido: use el código de dos letras del estado."}},
    {F_INVALID, "zip", FAULT_FORMAT,
     {"The parameter \"zip\" is not valid: use up to five digits.",
      "El parámetro \"zip\" no es válido: use hasta cinco dígitos."}},
    {F_INVALID, "q", FAULT_LENGTH,
     {"The search text must be valid text of at most {limit} bytes.",
      "El texto de búsqueda debe ser texto válido de {limit} bytes como máximo."}},
    {F_INVALID, "Last-Event-ID", FAULT_NOT_INTEGER,
     {"The Last-Event-ID header must be the id of an event this stream sent (a whole number).",
      "El encabezado Last-Event-ID debe ser el id de un evento que envió esta transmisión (un número entero)."}},
    {KITE_ERR_BAD_REQUEST, NULL, FAULT_BODY_NOT_OBJECT,
     {"The request body must be a JSON object.", "El cuerpo de la solicitud debe ser un objeto JSON."}},
    {F_INVALID, "format", FAULT_CHOICE,
     {"The parameter \"format\" must be json or mbox.", "El parámetro \"format\" debe ser json o mbox."}},
    {F_INVALID, NULL, FAULT_UNKNOWN_MEMBER,
     {"\"{field}\" is not something you can change here. Remove it and try again.",
      "\"{field}\" no es algo que se pueda cambiar aquí. Quítelo e intente de nuevo."}},
    {KITE_ERR_BUSY, NULL, FAULT_STORE_DOWN,
     {"The store does not answer.", "El almacén de datos no responde."}},

    /* Values, whichever field holds them. */
    {F_INVALID, NULL, FAULT_NOT_VALID,
     {"The field \"{field}\" is not valid. Correct it and try again.",
      "El campo \"{field}\" no es válido. Corríjalo e intente de nuevo."}},
    {F_INVALID, NULL, FAULT_EMAIL,
     {"The field \"{field}\" must be an email address.",
      "El campo \"{field}\" debe ser una dirección de correo electrónico."}},
    {F_INVALID, NULL, FAULT_NAME,
     {"The field \"{field}\" must be 1 to {limit} characters of text.",
      "El campo \"{field}\" debe tener de 1 a {limit} caracteres de texto."}},
    {F_INVALID, NULL, FAULT_NAME_RESERVED,
     {"That name is what Kite shows for deleted accounts. Write your own name.",
      "Ese es el nombre que Kite muestra para las cuentas eliminadas. Escriba su propio nombre."}},
    {F_INVALID, NULL, FAULT_DIGITS,
     {"The field \"{field}\" must be {min} to {max} digits.", "El campo \"{field}\" debe tener de {min} a {max} dígitos."}},
    {F_INVALID, NULL, FAULT_LENGTH,
     {"The field \"{field}\" must be text of at most {limit} characters.",
      "El campo \"{field}\" debe ser texto de {limit} caracteres como máximo."}},
    {F_INVALID, NULL, FAULT_RANGE,
     {"The field \"{field}\" must be a whole number from {min} to {max}.",
      "El campo \"{field}\" debe ser un número entero de {min} a {max}."}},
    {F_INVALID, NULL, FAULT_CHOICE,
     {"The field \"{field}\" must be one of: {choices}.", "El campo \"{field}\" debe ser uno de estos: {choices}."}},
    {F_INVALID, NULL, FAULT_NOT_POLICY_FIELD,
     {"\"{field}\" is not a policy field.", "\"{field}\" no es un campo de la política."}},
    {F_INVALID, NULL, FAULT_PATTERN,
     {"The field \"{field}\" is not a valid pattern: {note} (at character {at}).",
      "El campo \"{field}\" no es un patrón válido: {note} (en el carácter {at})."}},
    {F_INVALID, NULL, FAULT_NO_WORDS,
     {"The field \"{field}\" must list at least one word.", "El campo \"{field}\" debe incluir al menos una palabra."}},

    /* Fields with words of their own. */
    {F_INVALID, "resident_number", FAULT_FORMAT,
     {"The field \"resident_number\" does not have this facility's resident number format.",
      "El campo \"resident_number\" no tiene el formato de número de residente de este centro."}},
    {F_INVALID, "status", FAULT_CHOICE,
     {"The field \"status\" must be active or released.", "El campo \"status\" debe ser active o released."}},
    {F_INVALID, "role", FAULT_CHOICE,
     {"The field \"role\" must be facility_admin, reviewer or investigator.",
      "El campo \"role\" debe ser facility_admin, reviewer o investigator."}},
    {F_INVALID, "profile", FAULT_CHOICE,
     {"The field \"profile\" must be federal, jpay or connectnetwork.",
      "El campo \"profile\" debe ser federal, jpay o connectnetwork."}},
    {F_INVALID, "kind", FAULT_CHOICE,
     {"The field \"kind\" must be words, pattern, watch_resident or watch_email.",
      "El campo \"kind\" debe ser words, pattern, watch_resident o watch_email."}},
    {F_INVALID, "action", FAULT_CHOICE,
     {"The field \"action\" must be flag or hold.", "El campo \"action\" debe ser flag o hold."}},
    {F_INVALID, "decision", FAULT_CHOICE,
     {"The field \"decision\" must be approve or reject.", "El campo \"decision\" debe ser approve o reject."}},
    {F_INVALID, "box", FAULT_CHOICE,
     {"The parameter \"box\" must be inbox or sent.", "El parámetro \"box\" debe ser inbox o sent."}},
    {F_INVALID, "lang", FAULT_CHOICE,
     {"The field \"lang\" must be en (English) or es (Spanish).",
      "El campo \"lang\" debe ser en (inglés) o es (español)."}},
    {F_INVALID, "value", FAULT_LENGTH,
     {"The field \"value\" must be 1 to {limit} bytes of text.",
      "El campo \"value\" debe tener de 1 a {limit} bytes de texto."}},
    {F_INVALID, "note", FAULT_LENGTH,
     {"The field \"note\" must be at most {limit} characters.",
      "El campo \"note\" debe tener {limit} caracteres como máximo."}},
    {F_INVALID, "approval_window_hours", FAULT_DEPENDS,
     {"The field \"approval_window_hours\" must be at least 1 when approval is resident_or_window.",
      "El campo \"approval_window_hours\" debe ser al menos 1 cuando approval es resident_or_window."}},
    {F_INVALID, "page_chars", FAULT_DEPENDS,
     {"The field \"page_chars\" must be at least 1 when pricing is stamps.",
      "El campo \"page_chars\" debe ser al menos 1 cuando pricing es stamps."}},
    {F_INVALID, "max_attachments", FAULT_DEPENDS,
     {"The field \"max_attachments\" must allow at least one attachment of 1 KiB when attachments are allowed.",
      "El campo \"max_attachments\" debe permitir al menos un adjunto de 1 KiB cuando se permiten adjuntos."}},
    {F_INVALID, "attachment_max_bytes", FAULT_DEPENDS,
     {"The field \"attachment_max_bytes\" must allow at least one attachment of 1 KiB when attachments are allowed.",
      "El campo \"attachment_max_bytes\" debe permitir al menos un adjunto de 1 KiB cuando se permiten adjuntos."}},
    {F_INVALID, "photo_retention_days", FAULT_DEPENDS,
     {"Photos cannot be kept longer than the messages they came with: photo_retention_days must be at most message_retention_days.",
      "Las fotos no pueden guardarse más tiempo que los mensajes con que llegaron: photo_retention_days debe ser como máximo message_retention_days."}},
    {F_INVALID, "audit_retention_days", FAULT_RANGE,
     {"Audit records must be kept at least {min} days (a year): audit_retention_days must be from {min} to {max}.",
      "Los registros de auditoría deben guardarse al menos {min} días (un año): audit_retention_days debe ser de {min} a {max}."}},

    /* Retention and legal holds (domain/retention). */
    {KITE_ERR_GONE, NULL, FAULT_PHOTO_PURGED,
     {"This photo was deleted when the facility's retention period for photos ended.",
      "Esta foto se borró cuando terminó el período en que el centro guarda las fotos."}},
    {KITE_ERR_NOT_FOUND, NULL, FAULT_LEGAL_HOLD,
     {"There is no such legal hold at your facility.", "No existe esa retención legal en su centro."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_LEGAL_HOLD,
     {"This legal hold was lifted already.", "Esta retención legal ya se levantó."}},
    {F_INVALID, "subject_id", FAULT_UNKNOWN,
     {"Nobody with this id belongs to the facility: subject_id must be a resident's id, a contact's account id or a contact (thread) id there.",
      "Nadie con este id pertenece al centro: subject_id debe ser el id de un residente, de la cuenta de un contacto o de un contacto (conversación) de ese centro."}},
    {F_INVALID, "subject_kind", FAULT_CHOICE,
     {"The field \"subject_kind\" must be resident, contact_account or thread.",
      "El campo \"subject_kind\" debe ser resident, contact_account o thread."}},
    {F_INVALID, "case_reference", FAULT_LENGTH,
     {"The field \"case_reference\" must be 1 to {limit} characters of text.",
      "El campo \"case_reference\" debe tener de 1 a {limit} caracteres de texto."}},

    /* Messages. */
    {KITE_ERR_MESSAGE_TOO_LONG, "body", FAULT_LENGTH,
     {"The message is longer than this facility allows ({limit} characters). Shorten it, or send it as two messages.",
      "El mensaje es más largo de lo que permite este centro ({limit} caracteres). Acórtelo, o envíelo en dos "
      "mensajes."}},
    {F_INVALID, "body", FAULT_EMPTY,
     {"Write a message: the body must be text and not empty.",
      "Escriba un mensaje: el cuerpo debe ser texto y no puede estar vacío."}},
    {F_INVALID, "subject", FAULT_LENGTH,
     {"The subject must be one line of at most {limit} characters.",
      "El asunto debe ser una sola línea de {limit} caracteres como máximo."}},
    {F_INVALID, "Idempotency-Key", FAULT_LENGTH,
     {"The Idempotency-Key header must be 1 to {limit} characters.",
      "El encabezado Idempotency-Key debe tener de 1 a {limit} caracteres."}},
    {F_INVALID, "attachment_ids", FAULT_UNKNOWN,
     {"An attachment id is not one of your unsent photos. Upload the photo again.",
      "Un id de adjunto no es de ninguna de sus fotos sin enviar. Suba la foto otra vez."}},
    {F_INVALID, "attachment_ids", FAULT_LENGTH,
     {"The field \"attachment_ids\" must be a list of at most {limit} ids.",
      "El campo \"attachment_ids\" debe ser una lista de {limit} ids como máximo."}},
    {F_INVALID, "attachment_ids", FAULT_NOT_INTEGER,
     {"The field \"attachment_ids\" must hold attachment ids.", "El campo \"attachment_ids\" debe tener ids de adjuntos."}},
    {F_INVALID, "message_ids", FAULT_LENGTH,
     {"The field \"message_ids\" must list {min} to {max} message ids.",
      "El campo \"message_ids\" debe tener de {min} a {max} ids de mensajes."}},
    {F_INVALID, "cursor", FAULT_UNKNOWN,
     {"The cursor is not one Kite gave. Start again without it.",
      "Kite no dio este cursor. Empiece de nuevo sin él."}},
    {KITE_ERR_NOT_FOUND, "contact_id", FAULT_UNKNOWN,
     {"You have no contact with this id. Check your contacts.",
      "Usted no tiene ningún contacto con este id. Revise sus contactos."}},
    {F_INVALID, "reason", FAULT_REVIEW,
     {"A rejection needs a reason code from the facility's list.",
      "Para rechazar, elija un código de motivo de la lista del centro."}},
    {F_INVALID, NULL, FAULT_REVIEW,
     {"The note must be text of at most {limit} characters.",
      "La nota debe ser texto de {limit} caracteres como máximo."}},
    {F_INVALID, "note", FAULT_REQUIRED,
     {"A rejection for another reason needs a note that tells the sender why.",
      "Para rechazar por otro motivo, escriba una nota que le explique a quien lo envió por qué."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_REVIEW,
     {"Another reviewer already decided this message.", "Otro revisor ya decidió sobre este mensaje."}},
    {F_INVALID, "facility_id", FAULT_QUEUE,
     {"Give the facility_id of the queue to open.", "Indique el facility_id de la cola que quiere abrir."}},

    /* Investigators' search (domain/oversight). */
    {F_INVALID, "q", FAULT_SEARCH_TERMS,
     {"Search for at most {limit} words and phrases at once.",
      "Busque como máximo {limit} palabras y frases a la vez."}},
    {F_INVALID, "q", FAULT_NO_WORDS,
     {"The search text has no word to look for. Use letters or digits.",
      "El texto de búsqueda no tiene ninguna palabra que buscar. Use letras o dígitos."}},
    {F_INVALID, "person", FAULT_NOT_VALID,
     {"The parameter \"person\" must be a resident number, a contact's email address or contact:ID.",
      "El parámetro \"person\" debe ser un número de residente, el correo electrónico de un contacto o contact:ID."}},
    {F_INVALID, "resident_number", FAULT_INVESTIGATION_PERSON,
     {"Give either resident_number or contact_id, not both.",
      "Indique resident_number o contact_id, no los dos."}},

    /* Policies. */
    {KITE_ERR_NOT_FOUND, NULL, FAULT_POLICY,
     {"This facility is not on Kite, so it has no Kite policy.",
      "Este centro no está en Kite, así que no tiene una política de Kite."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_POLICY,
     {"Only an operator can put a facility on Kite.", "Solo un operador puede poner un centro en Kite."}},

    /* Contacts: invitations, requests, blocks, transfers. */
    {F_INVALID, "token", FAULT_INVITATION,
     {"Give the token from the invitation link.", "Indique el token del enlace de la invitación."}},
    {KITE_ERR_NOT_FOUND, NULL, FAULT_INVITATION,
     {"This invitation link is not valid. Check that you copied the whole link.",
      "Este enlace de invitación no es válido. Revise que copió el enlace completo."}},
    {F_INVALID, NULL, FAULT_TARGET,
     {"Give the person's resident number, or their first and last name where the facility allows it.",
      "Indique el número de residente de la persona, o su nombre y apellido si el centro lo permite."}},
    {KITE_ERR_NOT_FOUND, NULL, FAULT_TARGET,
     {"Nobody with these details is on this facility's roster. Check the number, the name and the facility.",
      "No hay nadie con estos datos en la lista de este centro. Revise el número, el nombre y el centro."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_NAME_AMBIGUOUS,
     {"Several people here have this name. Use their resident number instead.",
      "Varias personas aquí tienen este nombre. Use su número de residente."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_ALREADY_ASKED,
     {"You already asked; the request is waiting for a decision.",
      "Usted ya lo pidió; la solicitud está esperando una decisión."}},
    {KITE_ERR_NOT_FOUND, "resident_number", FAULT_UNKNOWN,
     {"No resident with this number is on this facility's roster.",
      "No hay ningún residente con este número en la lista de este centro."}},
    {F_INVALID, "resident_number", FAULT_TRANSFER,
     {"The resident number does not have the new facility's format. Give the number used there.",
      "El número de residente no tiene el formato del nuevo centro. Indique el número que se usa allí."}},
    {F_INVALID, "to_facility_id", FAULT_TRANSFER,
     {"Give an existing facility other than the current one.", "Indique un centro que exista y que no sea el actual."}},

    /* A resident's PIN (domain/facility/pin.h): each sentence says what to choose instead. */
    {F_INVALID, "pin", FAULT_DIGITS,
     {"A PIN must be {min} to {max} digits, numbers only.",
      "El PIN debe tener de {min} a {max} dígitos, solo números."}},
    {F_INVALID, "pin", FAULT_PIN_REPEATED,
     {"This PIN is too easy to guess: it repeats one digit or one group of digits (like 000000 or 121212). Choose "
      "{min} to {max} digits with no pattern.",
      "Este PIN es demasiado fácil de adivinar: repite un dígito o un grupo de dígitos (como 000000 o 121212). "
      "Elija de {min} a {max} dígitos sin ningún patrón."}},
    {F_INVALID, "pin", FAULT_PIN_SEQUENCE,
     {"This PIN is too easy to guess: its digits go in a row (like 123456 or 654321). Choose {min} to {max} digits "
      "with no pattern.",
      "Este PIN es demasiado fácil de adivinar: sus dígitos van seguidos (como 123456 o 654321). Elija de {min} a "
      "{max} dígitos sin ningún patrón."}},
    {F_INVALID, "pin", FAULT_PIN_COMMON,
     {"This PIN is one of the most common PINs, which are the first ones guessed. Choose {min} to {max} other "
      "digits.",
      "Este PIN es uno de los más comunes, que son los primeros que se adivinan. Elija otros dígitos, de {min} a "
      "{max}."}},
    {F_INVALID, "pin", FAULT_PIN_NUMBER,
     {"This PIN is made of the resident number, which other people can know. Choose {min} to {max} other digits.",
      "Este PIN está hecho con el número de residente, que otras personas pueden conocer. Elija otros dígitos, de "
      "{min} a {max}."}},
    {KITE_ERR_WEAK_PASSWORD, NULL, FAULT_PASSWORD_PERSONAL,
     {"The password must not be or contain your email address or your name: they are the first things someone "
      "would try. Choose another password.",
      "La contraseña no debe ser ni contener su correo electrónico ni su nombre: es lo primero que alguien "
      "probaría. Elija otra contraseña."}},

    {F_INVALID, "file", FAULT_ROSTER_COLUMNS,
     {"The file needs a first line naming the columns resident_number, first_name and last_name (and pin, if you "
      "set PINs). Export the roster again as CSV with those columns.",
      "El archivo necesita una primera línea con las columnas resident_number, first_name y last_name (y pin, si "
      "usted asigna los PIN). Exporte la lista otra vez como CSV con esas columnas."}},
    {KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_ROSTER_TYPE,
     {"Send the roster as a CSV file (text/csv).", "Envíe la lista como un archivo CSV (text/csv)."}},
    {KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_JSON_TYPE,
     {"This request takes a JSON body: send it with the header Content-Type: application/json.",
      "Esta solicitud lleva un cuerpo JSON: envíelo con el encabezado Content-Type: application/json."}},
    {KITE_ERR_BAD_REQUEST, NULL, FAULT_BODY_FRAMING,
     {"The request gives the length of its body more than one way (Content-Length and Transfer-Encoding, or one "
      "of them twice). Send one of them, once.",
      "La solicitud indica el largo de su cuerpo de más de una manera (Content-Length y Transfer-Encoding, o uno "
      "de ellos dos veces). Envíe solo uno, una vez."}},
    {KITE_ERR_NOT_IMPLEMENTED, NULL, FAULT_TRANSFER_CODING,
     {"Kite accepts request bodies as they are or in chunks (Transfer-Encoding: chunked), not in other codings.",
      "Kite acepta el cuerpo de la solicitud tal cual o en partes (Transfer-Encoding: chunked), no en otras "
      "codificaciones."}},
    {F_INVALID, "current_password", FAULT_NOT_VALID,
     {"Your current password is not right. Type it again, or reset it from the sign-in page.",
      "Su contraseña actual no es correcta. Escríbala de nuevo, o cámbiela desde la página de inicio de sesión."}},

    /* Throttles: how many, and when to try again. */
    {KITE_ERR_THROTTLED, NULL, FAULT_SIGN_IN,
     {"Too many sign-in attempts. For your safety, sign-in is paused: wait {wait} and try again.",
      "Demasiados intentos de inicio de sesión. Por su seguridad, el inicio de sesión está en pausa: espere {wait} "
      "e intente de nuevo."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_RESIDENT_LOOKUPS,
     {"You have looked up many residents in a short time. For the safety of the people held there, wait {wait} and "
      "try again.",
      "Usted buscó a muchos residentes en poco tiempo. Por la seguridad de las personas que están allí, espere "
      "{wait} e intente de nuevo."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_REGISTRATIONS,
     {"Many accounts were made from this connection in the last hour. Try again later.",
      "Se crearon muchas cuentas desde esta conexión en la última hora. Intente más tarde."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_PASSWORD_RESETS,
     {"Many password resets were asked for from this connection in the last hour. Try again later.",
      "Se pidieron muchos cambios de contraseña desde esta conexión en la última hora. Intente más tarde."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_INVITATIONS,
     {"You can send {limit} invitations a day. Try again tomorrow.",
      "Puede enviar {limit} invitaciones al día. Intente de nuevo mañana."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_UPLOADS,
     {"You have uploaded many photos today that you have not sent. Send them with a message, or try again tomorrow.",
      "Hoy subió muchas fotos que todavía no ha enviado. Envíelas con un mensaje, o intente de nuevo mañana."}},
    {KITE_ERR_BAD_CREDENTIALS, NULL, FAULT_RESIDENT_SIGN_IN,
     {"That facility, resident number and PIN do not match. Check them, or ask staff to reset your PIN.",
      "El centro, el número de residente y el PIN no coinciden. Revíselos, o pida al personal que le cambie el "
      "PIN."}},

    /* Photos: the image helper's verdicts. */
    {KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_UPLOADS,
     {"Send the photo itself as the request body, with Content-Type image/jpeg, image/png or image/webp.",
      "Envíe la foto misma como cuerpo de la solicitud, con Content-Type image/jpeg, image/png o image/webp."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_EMPTY,
     {"The photo is empty (zero bytes). Choose the picture again and send it.",
      "La foto está vacía (cero bytes). Elija la imagen otra vez y envíela."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_UNKNOWN_TYPE,
     {"This file is not a JPEG, PNG or WebP picture. Send a photo in one of those formats.",
      "Este archivo no es una imagen JPEG, PNG ni WebP. Envíe una foto en uno de esos formatos."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_TYPE_MISMATCH,
     {"The file's contents do not match its declared type. Send the photo with the Content-Type of its real format "
      "(image/jpeg, image/png or image/webp).",
      "El contenido del archivo no coincide con el tipo declarado. Envíe la foto con el Content-Type de su formato "
      "real (image/jpeg, image/png o image/webp)."}},
    {KITE_ERR_TOO_LARGE, NULL, FAULT_IMAGE_TOO_LARGE,
     {"The photo is larger than {limit_mib} MiB. Send a smaller photo.",
      "La foto pesa más de {limit_mib} MiB. Envíe una foto más pequeña."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_TOO_MANY_PIXELS,
     {"The photo has too many pixels (at most {max} on a side and {limit_mp} megapixels). Send a smaller photo.",
      "La foto tiene demasiados píxeles (como máximo {max} por lado y {limit_mp} megapíxeles). Envíe una foto más "
      "pequeña."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_UNREADABLE,
     {"The photo could not be read: it is damaged or incomplete. Save it again as JPEG and send it again.",
      "No se pudo leer la foto: está dañada o incompleta. Guárdela otra vez como JPEG y envíela de nuevo."}},
    {KITE_ERR_BAD_IMAGE, NULL, FAULT_IMAGE_FAILED,
     {"Kite could not process this photo. Save it again as JPEG and try again, or send another picture.",
      "Kite no pudo procesar esta foto. Guárdela otra vez como JPEG e intente de nuevo, o envíe otra imagen."}},

    /* Payment cards (payment/card.c), checked before a charge leaves Kite. */
    {F_INVALID, "card_number", FAULT_FORMAT,
     {"The card number must be digits only (spaces and dashes between them are fine).",
      "El número de tarjeta debe tener solo dígitos (se permiten espacios y guiones entre ellos)."}},
    {F_INVALID, "card_number", FAULT_DIGITS,
     {"The card number must be {min} to {max} digits.", "El número de tarjeta debe tener de {min} a {max} dígitos."}},
    {F_INVALID, "card_number", FAULT_CHECKSUM,
     {"This card number is not valid: a digit is probably mistyped. Check the number on the card.",
      "Este número de tarjeta no es válido: probablemente hay un dígito mal escrito. Revise el número en la "
      "tarjeta."}},
    {F_INVALID, "expiry", FAULT_FORMAT,
     {"The card's expiry must be a month from 1 to 12 and a four-digit year.",
      "El vencimiento de la tarjeta debe ser un mes del 1 al 12 y un año de cuatro dígitos."}},
    {F_INVALID, "expiry", FAULT_EXPIRED,
     {"This card has expired. Use another card.", "Esta tarjeta está vencida. Use otra tarjeta."}},
    {F_INVALID, "expiry", FAULT_RANGE,
     {"The card's expiry year must be from {min} to {max}.",
      "El año de vencimiento de la tarjeta debe ser de {min} a {max}."}},
    {F_INVALID, "cvc", FAULT_DIGITS,
     {"The security code (CVC) must be {min} to {max} digits.",
      "El código de seguridad (CVC) debe tener de {min} a {max} dígitos."}},
    {F_INVALID, "cvc", FAULT_LENGTH,
     {"The security code (CVC) of this card must be {limit} digits.",
      "El código de seguridad (CVC) de esta tarjeta debe tener {limit} dígitos."}},
    {KITE_ERR_BAD_REQUEST, NULL, FAULT_CHARGE,
     {"A charge needs amount_cents (whole cents), currency \"usd\" and a card with number, exp_month, exp_year "
      "and cvc.",
      "Un cargo necesita amount_cents (centavos enteros), currency \"usd\" y una tarjeta con number, exp_month, "
      "exp_year y cvc."}},
    {KITE_ERR_CONFLICT, "Idempotency-Key", FAULT_CHARGE,
     {"This Idempotency-Key was already used for a different charge. Use a new key for a new charge.",
      "Esta Idempotency-Key ya se usó para otro cargo. Use una clave nueva para un cargo nuevo."}},
    {KITE_ERR_NOT_FOUND, "idempotency_key", FAULT_CHARGE,
     {"No charge was made with this idempotency key.", "No se hizo ningún cargo con esta clave de idempotencia."}},
    {KITE_ERR_INTERNAL, NULL, FAULT_CHARGE,
     {"The processor failed on purpose (the processor-error test card); nothing was charged.",
      "El procesador falló a propósito (la tarjeta de prueba de error del procesador); no se cobró nada."}},
    /* Prices, fees and the FCC's caps (domain/ledger/). */
    {F_INVALID, "with_reply_stamp", FAULT_NOT_OFFERED,
     {"This facility does not sell prepaid reply stamps.",
      "Este centro no vende estampillas de respuesta prepagadas."}},
    {F_INVALID, "count", FAULT_NOT_OFFERED,
     {"This facility does not sell a bundle of that size. Choose one of the bundles it offers.",
      "Este centro no vende un paquete de ese tamaño. Elija uno de los paquetes que ofrece."}},
    {F_INVALID, "unit", FAULT_NOT_OFFERED,
     {"This facility does not sell bundles of that kind.", "Este centro no vende paquetes de ese tipo."}},
    {F_INVALID, "months", FAULT_NOT_OFFERED,
     {"This facility does not offer a monthly subscription.", "Este centro no ofrece una suscripción mensual."}},
    {F_INVALID, NULL, FAULT_NOT_OFFERED,
     {"This facility does not offer what \"{field}\" asks for.", "Este centro no ofrece lo que pide \"{field}\"."}},
    {F_INVALID, NULL, FAULT_AMOUNT_MAX,
     {"The price for \"{field}\" would be more than {limit_usd}, more than Kite charges at once.",
      "El precio de \"{field}\" pasaría de {limit_usd}, más de lo que Kite cobra de una sola vez."}},
    {F_INVALID, NULL, FAULT_COUNT_MAX,
     {"The price for \"{field}\" would be more than {limit} stamps or credits, more than Kite counts at once.",
      "El precio de \"{field}\" pasaría de {limit} estampillas o créditos, más de lo que Kite cuenta de una sola "
      "vez."}},
    {F_INVALID, NULL, FAULT_TRANSFER_AMOUNT,
     {"A transfer must be from {min_usd} to {max_usd}.", "Una transferencia debe ser de {min_usd} a {max_usd}."}},
    {F_INVALID, NULL, FAULT_MONTHLY_LIMIT,
     {"This transfer would take this month's transfers past the limit of {limit_usd}; {max_usd} can still be sent "
      "this month.",
      "Con esta transferencia, las de este mes pasarían del límite de {limit_usd}; este mes todavía puede enviar "
      "{max_usd}."}},
    /* The wallet (domain/ledger/wallet.c, api/wallet.c). */
    {F_INVALID, "amount_cents", FAULT_TOP_UP_AMOUNT,
     {"A top-up must be from {min_usd} to {max_usd}.", "Una recarga debe ser de {min_usd} a {max_usd}."}},
    {KITE_ERR_PAYMENTS_UNAVAILABLE, NULL, FAULT_PAYMENTS_OFF,
     {"Payments are not available right now: this Kite is not connected to a card company. Nothing was charged; "
      "try again later.",
      "Los pagos no están disponibles en este momento: este Kite no está conectado a una compañía de tarjetas. No "
      "se cobró nada; intente más tarde."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED,
     {"The card company declined this card, so nothing was charged. Use another card or call the number on the "
      "back of the card.",
      "La compañía de la tarjeta rechazó esta tarjeta, así que no se cobró nada. Use otra tarjeta o llame al "
      "número que aparece al reverso de la tarjeta."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_FUNDS,
     {"The card company says there is not enough money on this card, so nothing was charged. Use another card or "
      "a smaller amount.",
      "La compañía de la tarjeta dice que no hay suficiente dinero en esta tarjeta, así que no se cobró nada. Use "
      "otra tarjeta o una cantidad menor."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_EXPIRED,
     {"The card company says this card has expired, so nothing was charged. Use another card.",
      "La compañía de la tarjeta dice que esta tarjeta está vencida, así que no se cobró nada. Use otra tarjeta."}},
    {KITE_ERR_CARD_DECLINED, NULL, FAULT_DECLINED_INVALID,
     {"The card company does not know this card, so nothing was charged. Check the number or use another card.",
      "La compañía de la tarjeta no reconoce esta tarjeta, así que no se cobró nada. Revise el número o use otra "
      "tarjeta."}},
    {KITE_ERR_PAYMENT_FAILED, NULL, FAULT_PROCESSOR_DOWN,
     {"The card company could not take the payment just now, so nothing was charged. Try again in a few minutes.",
      "La compañía de la tarjeta no pudo recibir el pago en este momento, así que no se cobró nada. Intente de "
      "nuevo en unos minutos."}},
    {F_INVALID, NULL, FAULT_FCC_CAP,
     {"The rate is above the FCC cap of {limit} cents per minute for this facility.",
      "La tarifa pasa del límite de la FCC de {limit} centavos por minuto para este centro."}},
    {F_INVALID, NULL, FAULT_FCC_ANCILLARY,
     {"The FCC forbids fees on deposits to a phone account: the fee must be 0.",
      "La FCC prohíbe cobrar por los depósitos a una cuenta telefónica: el cargo debe ser 0."}},

    /* Phone accounts and call records (domain/ledger/phone.h, api/phone.c). */
    {KITE_ERR_CONFLICT, "phone_number", FAULT_PHONE_TAKEN,
     {"This facility already has a phone account for this number, opened by someone else. Phone calls to one number "
      "draw on one account; ask the person who opened it, or use another number.",
      "Este centro ya tiene una cuenta telefónica para este número, abierta por otra persona. Las llamadas a un "
      "número se pagan con una sola cuenta; hable con quien la abrió, o use otro número."}},
    {KITE_ERR_CONFLICT, "facility_id", FAULT_PHONE_ONE_PER_FACILITY,
     {"You already have a phone account at this facility. Use that one, or refund it first.",
      "Usted ya tiene una cuenta telefónica en este centro. Use esa, o pida primero su reembolso."}},
    {F_INVALID, "amount_cents", FAULT_PHONE_DEPOSIT_AMOUNT,
     {"A phone deposit must be from {min_usd} to {max_usd}. There is no fee on deposits.",
      "Un depósito telefónico debe ser de {min_usd} a {max_usd}. Los depósitos no tienen cargo."}},
    {KITE_ERR_CONFLICT, "amount_cents", FAULT_PHONE_NOTHING,
     {"This phone account's balance is $0.00, so there is nothing to refund.",
      "El saldo de esta cuenta telefónica es $0.00, así que no hay nada que reembolsar."}},
    {F_INVALID, "resident_number", FAULT_PHONE_RESIDENT,
     {"No resident with this number is on this facility's roster. Check the resident number of the call.",
      "No hay ningún residente con este número en la lista de este centro. Revise el número de residente de la "
      "llamada."}},
    {KITE_ERR_CONFLICT, "call_id", FAULT_PHONE_CALL_REUSED,
     {"This call id was already recorded with other details (number, resident, start or duration). Send each call "
      "under its own id.",
      "Este id de llamada ya se registró con otros datos (número, residente, inicio o duración). Envíe cada llamada "
      "con su propio id."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_PHONE_NO_ACCOUNT,
     {"There is no prepaid phone account for this number at this facility. The call was recorded and not billed; "
      "do not connect calls to this number until an account is opened.",
      "No hay una cuenta telefónica prepagada para este número en este centro. La llamada se registró y no se "
      "cobró; no conecte llamadas a este número hasta que se abra una cuenta."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_PHONE_BALANCE_EMPTY,
     {"The phone account's balance does not pay for one minute. The call was recorded and not billed; do not "
      "connect calls to this number until money is deposited.",
      "El saldo de la cuenta telefónica no alcanza para un minuto. La llamada se registró y no se cobró; no "
      "conecte llamadas a este número hasta que se deposite dinero."}},
    {KITE_ERR_UNAUTHENTICATED, NULL, FAULT_PHONE_KEY,
     {"Send the facility's API key as \"Authorization: Bearer KEY\". This key is missing, unknown or revoked.",
      "Envíe la clave de API del centro como \"Authorization: Bearer KEY\". Esta clave falta, no se conoce o fue "
      "revocada."}},
    {F_INVALID, "call_id", FAULT_DEPENDS,
     {"call_id must be the same as the Idempotency-Key header.",
      "call_id debe ser igual al encabezado Idempotency-Key."}},
    {F_INVALID, "started_at", FAULT_FORMAT,
     {"started_at must be an RFC 3339 time such as 2026-01-31T14:05:00Z.",
      "started_at debe ser una hora RFC 3339, como 2026-01-31T14:05:00Z."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_PHONE_KEY_FACILITY,
     {"This API key belongs to another facility. Use the key made for this facility.",
      "Esta clave de API es de otro centro. Use la clave creada para este centro."}},

    /* Live events (api/events.c). */
    {KITE_ERR_BUSY, NULL, FAULT_LIVE_EVENTS,
     {"Live events are not available right now. Reload to see what is new.",
      "Las novedades en vivo no están disponibles en este momento. Recargue para ver lo nuevo."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_STREAMS,
     {"You have as many live event streams open as one account may. Close one (another tab or device) and try again.",
      "Tiene abiertas todas las conexiones de novedades en vivo que permite una cuenta. Cierre una (otra pestaña u "
      "otro dispositivo) e intente de nuevo."}},
    {KITE_ERR_BUSY, NULL, FAULT_STREAMS,
     {"Kite has as many live event streams open as it can serve. Try again in a moment.",
      "Kite tiene abiertas todas las conexiones de novedades en vivo que puede atender. Intente de nuevo en un "
      "momento."}},

    /* Money transfers and terminal time (domain/ledger/money_transfer.c, terminal.c). */
    {F_INVALID, NULL, FAULT_TRANSFER_MATCH,
     {"The resident number and last name do not match the same person at this facility. Check both, as the facility "
      "writes them, and try again. Nothing was charged.",
      "El número de residente y el apellido no son de la misma persona en este centro. Revise los dos, tal como los "
      "escribe el centro, e intente de nuevo. No se cobró nada."}},
    {KITE_ERR_RESIDENT_UNREACHABLE, NULL, FAULT_TRANSFER_RELEASED,
     {"This person has been released, so their trust account no longer takes money. Nothing was charged.",
      "Esta persona ya salió en libertad, así que su cuenta de fondos ya no recibe dinero. No se cobró nada."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_TRANSFER_FUNDS,
     {"This transfer costs {limit_usd} with its fee and your balance is {max_usd}. Add money to your balance, then "
      "send again. Nothing was charged.",
      "Esta transferencia cuesta {limit_usd} con su cargo y su saldo es {max_usd}. Agregue dinero a su saldo y "
      "luego envíela de nuevo. No se cobró nada."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_TERMINAL_FUNDS,
     {"Your trust account cannot pay for the next minute of terminal time ({limit_usd} a minute), so it is not "
      "charged. Ask your family to send money, or ask the trust office.",
      "Su cuenta de fondos no alcanza para el próximo minuto en la terminal ({limit_usd} por minuto), así que no se "
      "cobra. Pida a su familia que le envíe dinero, o consulte a la oficina de fondos."}},
    /* A facility's prices and its revenue report (domain/ledger/prices.c, revenue.c; api/prices.c). */
    {F_INVALID, NULL, FAULT_NOT_PRICE_FIELD,
     {"\"{field}\" is not a price Kite knows. Check its spelling.",
      "\"{field}\" no es un precio que Kite conozca. Revise cómo está escrito."}},
    {F_INVALID, NULL, FAULT_POLICY_FIELD,
     {"\"{field}\" is part of the facility's policy. Change it on the policy page, then set the prices.",
      "\"{field}\" es parte de la política del centro. Cámbielo en la página de la política y luego fije los "
      "precios."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICES_CHANGED,
     {"Someone else changed these prices while you were editing them. Reload to see theirs, then make your change "
      "again.",
      "Otra persona cambió estos precios mientras usted los editaba. Recargue para ver sus cambios y luego haga el "
      "suyo de nuevo."}},
    {F_INVALID, "stamp_bundles", FAULT_NOT_VALID,
     {"List stamp bundles smallest first, each of at least 1 stamp, priced from 1 cent up to its stamps at the "
      "full stamp price.",
      "Ponga los paquetes de estampillas del más pequeño al más grande, cada uno de al menos 1 estampilla, con un "
      "precio desde 1 centavo hasta lo que costarían sus estampillas a precio completo."}},
    {F_INVALID, "credit_bundles", FAULT_NOT_VALID,
     {"List credit bundles smallest first, each of at least 1 credit, priced from 1 cent up to its credits at the "
      "full credit price.",
      "Ponga los paquetes de créditos del más pequeño al más grande, cada uno de al menos 1 crédito, con un precio "
      "desde 1 centavo hasta lo que costarían sus créditos a precio completo."}},
    {F_INVALID, "fee_tiers", FAULT_NOT_VALID,
     {"List transfer fee tiers by amount, smallest first, each up to a larger amount than the one before, with "
      "fees of $0.00 or more.",
      "Ponga los niveles de cargo por transferencia por monto, del más pequeño al más grande, cada uno hasta un "
      "monto mayor que el anterior, con cargos de $0.00 o más."}},
    {F_INVALID, NULL, FAULT_DATE,
     {"The parameter \"{field}\" must be a date written YYYY-MM-DD, such as 2026-01-31.",
      "El parámetro \"{field}\" debe ser una fecha escrita AAAA-MM-DD, como 2026-01-31."}},
    {F_INVALID, NULL, FAULT_DATE_ORDER,
     {"The period must end on or after the day it starts, and last at most {limit} days. Correct \"{field}\".",
      "El período debe terminar el mismo día en que empieza o después, y durar {limit} días como máximo. Corrija "
      "\"{field}\"."}},
    /* Paid messages (domain/messaging/message_charge.h). */
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_CENTS,
     {"This message costs {limit_usd} and you have {max_usd}. Add money to your wallet, then send again.",
      "Este mensaje cuesta {limit_usd} y usted tiene {max_usd}. Agregue dinero a su billetera y luego envíelo de "
      "nuevo."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_TRUST,
     {"This message costs {limit_usd} and your trust account has {max_usd}. Once money is added to your trust "
      "account, send again.",
      "Este mensaje cuesta {limit_usd} y su cuenta de fondos tiene {max_usd}. Cuando se agregue dinero a su cuenta "
      "de fondos, envíelo de nuevo."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_STAMPS,
     {"This message costs {limit_stamps} and you have {max}. Buy stamps in your wallet, then send again.",
      "Este mensaje cuesta {limit_stamps} y usted tiene {max}. Compre estampillas en su billetera y luego envíelo "
      "de nuevo."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_MESSAGE_COST_CREDITS,
     {"This message costs {limit_credits} and you have {max}. Buy credits in your wallet, then send again.",
      "Este mensaje cuesta {limit_credits} y usted tiene {max}. Compre créditos en su billetera y luego envíelo de "
      "nuevo."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_SUBSCRIPTION_NEEDED,
     {"Messages at this facility need a subscription, {limit_usd} a month. Subscribe in your wallet, then send "
      "again.",
      "Los mensajes en este centro necesitan una suscripción de {limit_usd} al mes. Suscríbase en su billetera y "
      "luego envíelo de nuevo."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_CENTS,
     {"The price of this message changed from {min_usd} to {max_usd} since it was shown. Check the new price and "
      "send again.",
      "El precio de este mensaje cambió de {min_usd} a {max_usd} desde que se lo mostramos. Revise el precio nuevo "
      "y envíelo de nuevo."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_STAMPS,
     {"The price of this message changed from {min_stamps} to {max_stamps} since it was shown. Check the new price "
      "and send again.",
      "El precio de este mensaje cambió de {min_stamps} a {max_stamps} desde que se lo mostramos. Revise el precio "
      "nuevo y envíelo de nuevo."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_PRICE_CHANGED_CREDITS,
     {"The price of this message changed from {min_credits} to {max_credits} since it was shown. Check the new "
      "price and send again.",
      "El precio de este mensaje cambió de {min_credits} a {max_credits} desde que se lo mostramos. Revise el "
      "precio nuevo y envíelo de nuevo."}},
    {F_INVALID, NULL, FAULT_TRUST_DEPOSIT_AMOUNT,
     {"A trust deposit must be from {min_usd} to {max_usd}.",
      "Un depósito a la cuenta de fondos debe ser de {min_usd} a {max_usd}."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_WITHDRAW_TOO_LATE,
     {"This message can no longer be withdrawn: it was already delivered, rejected or withdrawn. Reload the "
      "conversation to see where it stands.",
      "Este mensaje ya no se puede retirar: ya fue entregado, rechazado o retirado. Recargue la conversación para "
      "ver en qué estado está."}},

    /* Deleting an account (domain/privacy/account_deletion.h): money first, so nobody loses any silently. */
    {F_INVALID, "confirm", FAULT_DELETE_CONFIRM,
     {"To delete your account, type the word DELETE in capital letters in \"confirm\".",
      "Para eliminar su cuenta, escriba la palabra DELETE en mayúsculas en \"confirm\"."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_DELETE_ROLE,
     {"Only a family member's or friend's account can be deleted here. Staff accounts are closed by the facility "
      "or the operator, and a resident's by the facility.",
      "Aquí solo se puede eliminar la cuenta de un familiar o amigo. Las cuentas del personal las cierra el centro "
      "o el operador, y la de un residente, el centro."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_HELD,
     {"{limit_usd} of yours is on hold for messages still waiting for review or video visits still to come. "
      "Withdraw the messages or cancel the visits (their price comes back to your balance), or wait until they are "
      "over, spend what is left, then delete your account.",
      "Tiene {limit_usd} retenidos por mensajes que todavía esperan revisión o visitas por video pendientes. Retire "
      "los mensajes o cancele las visitas (su precio vuelve a su saldo), o espere a que terminen, use lo que quede "
      "y después elimine su cuenta."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_BALANCE,
     {"Your Kite balance still holds {limit_usd}. Spend it first, for example on messages or as money sent to a "
      "trust account, then delete your account: Kite does not delete an account that holds money.",
      "Su saldo de Kite todavía tiene {limit_usd}. Úselo primero, por ejemplo en mensajes o enviándolo a una cuenta "
      "de fondos, y después elimine su cuenta: Kite no elimina una cuenta que tiene dinero."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_PHONE,
     {"Your phone accounts still hold {limit_usd}. Refund it to your Kite balance on the Phone page and spend it, "
      "then delete your account: Kite does not delete an account that holds money.",
      "Sus cuentas telefónicas todavía tienen {limit_usd}. Pida el reembolso a su saldo de Kite en la página "
      "Teléfono y úselo, y después elimine su cuenta: Kite no elimina una cuenta que tiene dinero."}},
    {KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, FAULT_DELETE_UNITS,
     {"You still have {limit} stamps or credits (some may be on hold for messages waiting for review). Use them "
      "first, then delete your account: Kite does not delete an account that holds what you paid for.",
      "Todavía tiene {limit} estampillas o créditos (algunos pueden estar retenidos por mensajes que esperan "
      "revisión). Úselos primero y después elimine su cuenta: Kite no elimina una cuenta con lo que usted pagó."}},

    /* Email verification and change (domain/identity/email_verify.c, email_change.c). */
    {KITE_ERR_EMAIL_NOT_VERIFIED, NULL, FAULT_EMAIL_NOT_VERIFIED,
     {"Confirm your email address before paying for anything: open the link we sent to your email. To get a new "
      "link, choose \"Send the link again\" on your account page. Nothing was charged.",
      "Confirme su correo electrónico antes de pagar cualquier cosa: abra el enlace que le enviamos por correo. "
      "Para recibir un enlace nuevo, elija \"Enviar el enlace otra vez\" en la página de su cuenta. No se cobró "
      "nada."}},
    {KITE_ERR_NOT_FOUND, "token", FAULT_VERIFICATION_LINK,
     {"This email confirmation link is not one Kite sent. Copy the whole link from the email, or ask for a new one "
      "on your account page.",
      "Este enlace de confirmación no es uno que Kite haya enviado. Copie el enlace completo del correo, o pida "
      "uno nuevo en la página de su cuenta."}},
    {KITE_ERR_VERIFICATION_LINK_EXPIRED, NULL, FAULT_VERIFICATION_LINK,
     {"This email confirmation link has expired or was already used. Sign in and ask for a new one on your account "
      "page, if your address is not confirmed yet.",
      "Este enlace de confirmación venció o ya se usó. Inicie sesión y pida uno nuevo en la página de su cuenta, "
      "si su correo todavía no está confirmado."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_VERIFICATION_MAILS,
     {"We already sent {limit} confirmation links this hour. Look for them in your email (and its spam folder), or "
      "try again in {wait}.",
      "Ya le enviamos {limit} enlaces de confirmación en esta hora. Búsquelos en su correo (y en la carpeta de "
      "correo no deseado), o inténtelo de nuevo en {wait}."}},
    {KITE_ERR_NOT_FOUND, "token", FAULT_EMAIL_CHANGE_LINK,
     {"This email change link is not one Kite sent. Copy the whole link from the email.",
      "Este enlace para cambiar el correo no es uno que Kite haya enviado. Copie el enlace completo del correo."}},
    {KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED, NULL, FAULT_EMAIL_CHANGE_LINK,
     {"This email change link has expired or was already used, so your email was not changed. Sign in and ask "
      "for the change again.",
      "Este enlace para cambiar el correo venció o ya se usó, así que su correo no cambió. Inicie sesión y pida "
      "el cambio otra vez."}},
    {KITE_ERR_THROTTLED, NULL, FAULT_EMAIL_CHANGES,
     {"You asked to change your email {limit} times this hour. Look for the links in your email, or try again in "
      "{wait}.",
      "Usted pidió cambiar su correo {limit} veces en esta hora. Busque los enlaces en su correo, o inténtelo de "
      "nuevo en {wait}."}},
    {F_INVALID, "new_email", FAULT_SAME_EMAIL,
     {"This is already your email address. Enter the new address.",
      "Este ya es su correo electrónico. Escriba la dirección nueva."}},
    /* Sentences of successful answers: what a person should know about what just happened. */
    {KITE_OK, NULL, FAULT_NOTE_KEY_ONCE,
     {"Copy this key now: Kite keeps only a fingerprint of it and cannot show it again.",
      "Copie esta clave ahora: Kite solo guarda una huella de ella y no puede volver a mostrarla."}},
    {KITE_OK, NULL, FAULT_NOTE_NO_FEE,
     {"No fee: the whole deposit goes to the phone account. The FCC forbids fees on phone deposits.",
      "Sin cargo: todo el depósito va a la cuenta telefónica. La FCC prohíbe cobrar cargos por los depósitos "
      "telefónicos."}},
    {KITE_OK, NULL, FAULT_NOTE_PHONE_REFUND,
     {"The whole phone balance is back in your Kite balance. No fee was taken.",
      "Todo el saldo telefónico volvió a su saldo de Kite. No se cobró ningún cargo."}},
    {KITE_OK, NULL, FAULT_NOTE_TOP_UP_PENDING,
     {"Kite is confirming this payment with the card company. Your balance will show it within a few minutes; "
      "do not pay again.",
      "Kite está confirmando este pago con la compañía de la tarjeta. Su saldo lo mostrará en unos minutos; no "
      "pague otra vez."}},

    /* Attorneys and privileged legal mail (domain/counsel, docs/privilege.md). */
    {F_INVALID, "bar_number", FAULT_FORMAT,
     {"The bar number must be 1 to {limit} letters, digits or hyphens, with at least one digit, as your state bar "
      "wrote it.",
      "El número de colegiatura debe tener de 1 a {limit} letras, dígitos o guiones, con al menos un dígito, como lo "
      "escribió el colegio de abogados de su estado."}},
    {F_INVALID, "bar_state", FAULT_FORMAT,
     {"The bar state must be the two-letter code of a US state, the District of Columbia or a US territory (for "
      "example TX).",
      "El estado del colegio de abogados debe ser el código de dos letras de un estado de EE. UU., el Distrito de "
      "Columbia o un territorio de EE. UU. (por ejemplo TX)."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_ATTORNEY_ROLE,
     {"Only a family-and-friends account can register as an attorney. Create one with your own email, then "
      "register your bar number there.",
      "Solo una cuenta de familiares y amigos puede registrarse como abogado. Cree una con su propio correo y "
      "registre allí su número de colegiatura."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_ATTORNEY_REGISTERED,
     {"You have already registered as an attorney. Your registration page shows whether it has been verified.",
      "Usted ya se registró como abogado. Su página de registro muestra si ya fue verificado."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_ATTORNEY_DECIDED,
     {"This registration was already decided, or cannot be decided this way. Reload the list to see where it "
      "stands.",
      "Este registro ya fue decidido, o no se puede decidir de esta manera. Recargue la lista para ver en qué estado "
      "está."}},
    /* The live video visit (api/visit_live.c). */
    {KITE_ERR_BUSY, NULL, FAULT_LIVE_VIDEO_OFF,
     {"Video visits are not available on this Kite right now. Ask the facility when they will be.",
      "Las visitas por video no están disponibles en este Kite por ahora. Pregunte al centro cuándo lo estarán."}},
    {KITE_ERR_BUSY, NULL, FAULT_LIVE_MEDIA_DOWN,
     {"The video service did not answer. Wait a moment and join again; nothing was charged for the lost time.",
      "El servicio de video no respondió. Espere un momento y vuelva a entrar; no se cobró el tiempo perdido."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_LIVE_TOO_EARLY,
     {"This visit opens {limit} minutes before it starts. Come back then.",
      "Esta visita se abre {limit} minutos antes de empezar. Vuelva a esa hora."}},
    {KITE_ERR_CONTACT_NOT_ACTIVE, NULL, FAULT_VISIT_CONTACT_INACTIVE,
     {"Visits can be booked or moved only while the contact is active, and this one was removed, blocked or "
      "suspended. See your contacts for details.",
      "Solo se pueden reservar o mover visitas mientras el contacto está activo, y este fue quitado, bloqueado o "
      "suspendido. Vea sus contactos para más detalles."}},
    {KITE_ERR_GONE, NULL, FAULT_VISIT_CONTACT_ENDED,
     {"This visit will not take place: the contact between the family member and the resident is no longer active. "
      "Nothing is charged for it, and any money held for it is given back.",
      "Esta visita no se realizará: el contacto entre el familiar y el residente ya no está activo. No se cobra nada "
      "por ella, y el dinero retenido para ella se devuelve."}},
    {KITE_ERR_CONTACT_NOT_ACTIVE, NULL, FAULT_VISIT_CONTACT_ENDED,
     {"This visit cannot be approved: the contact between the family member and the resident is no longer active. "
      "Kite cancels it and gives back any money held for it.",
      "Esta visita no se puede aprobar: el contacto entre el familiar y el residente ya no está activo. Kite la "
      "cancela y devuelve el dinero retenido para ella."}},
    {KITE_ERR_GONE, NULL, FAULT_LIVE_OVER,
     {"This visit is over: it ended, or it was cancelled or declined.",
      "Esta visita ya terminó: se acabó, o fue cancelada o rechazada."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_LIVE_NOT_APPROVED,
     {"This visit is still waiting for the facility's approval.",
      "Esta visita todavía espera la aprobación del centro."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_PRIVILEGED,
     {"This is a privileged attorney visit: staff do not watch or record it.",
      "Esta es una visita privilegiada con un abogado: el personal no la observa ni la graba."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_LIVE_MONITOR_ONLY,
     {"Only the facility staff who monitor a visit can do this, and they only watch.",
      "Solo el personal del centro que supervisa una visita puede hacer esto, y solo observa."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_LIVE_WAIT_MONITOR,
     {"This visit starts when facility staff join to monitor it. Please wait; the page will start by itself.",
      "Esta visita empieza cuando el personal del centro entre a supervisarla. Espere; la página empezará sola."}},
    {KITE_ERR_CONFLICT, "feed", FAULT_LIVE_NO_FEED,
     {"The other side is not sending video yet. Please wait.",
      "La otra parte todavía no envía video. Espere, por favor."}},
    {KITE_ERR_FORBIDDEN, NULL, FAULT_PRIVILEGED,
     {"This is privileged legal mail: only the resident and the attorney can open what it says. Its date, parties "
      "and size are all that staff can see.",
      "Este es correo legal privilegiado: solo el residente y el abogado pueden abrir lo que dice. Su fecha, las "
      "partes y el tamaño es todo lo que el personal puede ver."}},
    /* Video visits (domain/visits/). */
    {F_INVALID, NULL, FAULT_TIME_ZONE,
     {"The field \"{field}\" must be a time zone name such as America/Chicago.",
      "El campo \"{field}\" debe ser el nombre de una zona horaria, como America/Chicago."}},
    {F_INVALID, NULL, FAULT_VISIT_NO_ZONE,
     {"This facility has not set its time zone yet, so it offers no video visits.",
      "Este centro todavía no ha fijado su zona horaria, así que no ofrece visitas por video."}},
    {F_INVALID, NULL, FAULT_VISIT_LEAD_TIME,
     {"Visits must be booked at least {limit} hours before they start. Choose a later time.",
      "Las visitas se deben reservar al menos {limit} horas antes de empezar. Elija una hora más tarde."}},
    {F_INVALID, NULL, FAULT_VISIT_HORIZON,
     {"Visits can be booked at most {limit} days ahead. Choose an earlier date.",
      "Las visitas se pueden reservar como máximo con {limit} días de anticipación. Elija una fecha más cercana."}},
    {F_INVALID, NULL, FAULT_VISIT_BLACKOUT,
     {"The facility has no visits on that day. Choose another day.",
      "El centro no tiene visitas ese día. Elija otro día."}},
    {F_INVALID, NULL, FAULT_VISIT_NO_SLOT,
     {"No visit slot starts at that time. Choose one of the facility's slots.",
      "Ningún horario de visita empieza a esa hora. Elija uno de los horarios del centro."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_VISIT_FULL,
     {"That visit time is fully booked. Choose another time.",
      "Ese horario de visita ya está lleno. Elija otra hora."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_VISIT_OVERLAP,
     {"The resident already has a visit at that time. Choose another time.",
      "La persona ya tiene una visita a esa hora. Elija otra hora."}},
    {KITE_ERR_CONFLICT, NULL, FAULT_VISIT_SLOT_OVERLAP,
     {"This room already has a slot at that time. Choose another time or another room, or retire the other slot "
      "first.",
      "Esta sala ya tiene un horario a esa hora. Elija otra hora u otra sala, o retire antes el otro horario."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE,
     {"This visit can no longer be changed that way. Reload to see where it stands.",
      "Esta visita ya no se puede cambiar de esa forma. Recargue para ver su estado."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_VISIT_FUNDS,
     {"This visit costs {limit_usd} and you have {max_usd}. Add money, then book again.",
      "Esta visita cuesta {limit_usd} y usted tiene {max_usd}. Agregue dinero y luego reserve de nuevo."}},
    {KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STARTED,
     {"This visit has already begun and can no longer be cancelled or moved.",
      "Esta visita ya empezó y no se puede cancelar ni mover."}},

    /* Video messages: the video helper's verdicts and the policy's refusals (docs/video-messages.md). */
    {KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_UPLOAD_TYPE,
     {"Send the photo or video itself as the request body, with Content-Type image/jpeg, image/png, image/webp, "
      "video/webm, video/mp4 or video/quicktime.",
      "Envíe la foto o el video mismo como cuerpo de la solicitud, con Content-Type image/jpeg, image/png, "
      "image/webp, video/webm, video/mp4 o video/quicktime."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_EMPTY,
     {"The video is empty (zero bytes). Record it again or choose the file again.",
      "El video está vacío (cero bytes). Grábelo otra vez o elija el archivo de nuevo."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_UNKNOWN_TYPE,
     {"This file is not a WebM, MP4 or MOV video. Record the video here, or send one in one of those formats.",
      "Este archivo no es un video WebM, MP4 ni MOV. Grabe el video aquí, o envíe uno en uno de esos formatos."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_TYPE_MISMATCH,
     {"The file's contents do not match its declared type. Send the video with the Content-Type of its real "
      "format (video/webm, video/mp4 or video/quicktime).",
      "El contenido del archivo no coincide con el tipo declarado. Envíe el video con el Content-Type de su formato "
      "real (video/webm, video/mp4 o video/quicktime)."}},
    {KITE_ERR_TOO_LARGE, NULL, FAULT_VIDEO_TOO_LARGE,
     {"The video is larger than {limit_mib} MiB. Send a shorter video.",
      "El video pesa más de {limit_mib} MiB. Envíe un video más corto."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_TOO_LONG,
     {"The video is longer than {limit} seconds. Kite does not cut it: record or choose a video of at most "
      "{limit} seconds.",
      "El video dura más de {limit} segundos. Kite no lo recorta: grabe o elija un video de {limit} segundos como "
      "máximo."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_TOO_MANY_PIXELS,
     {"The video's picture is too large (at most {max} pixels on a side and 120 frames a second). Record it "
      "again at a lower resolution.",
      "La imagen del video es demasiado grande (como máximo {max} píxeles por lado y 120 cuadros por segundo). "
      "Grábelo otra vez con menor resolución."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_UNSUPPORTED_CODEC,
     {"The video uses a format Kite does not take (it takes VP8, VP9, H.264 or HEVC video with Opus, Vorbis or "
      "AAC sound). Record the video here instead.",
      "El video usa un formato que Kite no acepta (acepta video VP8, VP9, H.264 o HEVC con sonido Opus, Vorbis o "
      "AAC). Grabe el video aquí."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_NO_VIDEO,
     {"This file has no picture (sound only, or not one frame). Send a video with a picture.",
      "Este archivo no tiene imagen (solo sonido, o ni un cuadro). Envíe un video con imagen."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_UNREADABLE,
     {"The video could not be read: it is damaged or incomplete. Record it again or send the whole file.",
      "No se pudo leer el video: está dañado o incompleto. Grábelo otra vez o envíe el archivo completo."}},
    {KITE_ERR_BAD_VIDEO, NULL, FAULT_VIDEO_FAILED,
     {"Kite could not process this video. Record it again, or try a shorter one.",
      "Kite no pudo procesar este video. Grábelo otra vez, o intente con uno más corto."}},
    {KITE_ERR_ATTACHMENTS_NOT_ALLOWED, NULL, FAULT_VIDEOS_NOT_ALLOWED,
     {"This facility does not accept video messages. Send the message without the video.",
      "Este centro no acepta mensajes de video. Envíe el mensaje sin el video."}},
    {KITE_ERR_ATTACHMENTS_NOT_ALLOWED, NULL, FAULT_ONE_VIDEO,
     {"A message can carry one video. Send the other video in another message.",
      "Un mensaje puede llevar un solo video. Envíe el otro video en otro mensaje."}},
    {KITE_ERR_GONE, NULL, FAULT_VIDEO_PURGED,
     {"This video was deleted when the facility's retention period for photos and videos ended.",
      "Este video se borró cuando terminó el período en que el centro guarda las fotos y los videos."}},
    {KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_VISIT_FUNDS_MOVE,
     {"The new time costs {limit_usd}, and with what is already held for this visit you have {max_usd}. Add "
      "money, then move the visit again. Nothing was changed.",
      "El nuevo horario cuesta {limit_usd}, y con lo que ya está retenido para esta visita usted tiene {max_usd}. "
      "Agregue dinero y luego mueva la visita de nuevo. No se cambió nada."}},
};

const size_t fault_row_count = sizeof fault_rows / sizeof fault_rows[0];

const fault_word_set fault_words[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = {" seconds", " minutes", "about ", ", ", {" stamp", " stamps"}, {" credit", " credits"}},
    [FAULT_LANG_ES] = {" segundos", " minutos", "unos ", ", ", {" estampilla", " estampillas"},
                       {" crédito", " créditos"}},

};

/*
 * error.c - the one table of error codes: HTTP status, stable code, and a
 * sentence per language.
 *
 * Design: a row per kite_err, the sentences in a column per language
 * (core/lang.h), so a language is one more string in each row and never a
 * second table that could drift.  The code column never changes with the
 * language: clients branch on it.  Spanish is plain Latin-American/US
 * Spanish addressed as "usted": the reader may be a family member under
 * stress, so each sentence says what happened and what to do next.
 */
#include "core/error.h"

#include <stddef.h>

static const struct {
    int status;
    const char *code;
    const char *message[FAULT_LANG_COUNT];
} error_table[KITE_ERR__COUNT] = {
    [KITE_OK] = {200, "ok", {"Done.", "Listo."}},
    [KITE_ERR_MALFORMED_JSON] = {400, "malformed_json",
        {"The request body is not valid JSON. Send a JSON object and try again.",
         "El cuerpo de la solicitud no es JSON válido. Envíe un objeto JSON e intente de nuevo."}},
    [KITE_ERR_BAD_REQUEST] = {400, "bad_request",
        {"The request could not be understood. Check its fields and try again.",
         "No se pudo entender la solicitud. Revise sus campos e intente de nuevo."}},
    [KITE_ERR_INVALID_FIELD] = {422, "invalid_field",
        {"A field has a value that is not allowed. Correct it and try again.",
         "Un campo tiene un valor que no se permite. Corríjalo e intente de nuevo."}},
    [KITE_ERR_UNAUTHENTICATED] = {401, "unauthenticated",
        {"You are not signed in, or your session has ended. Sign in and try again.",
         "Usted no ha iniciado sesión, o su sesión terminó. Inicie sesión e intente de nuevo."}},
    [KITE_ERR_BAD_CREDENTIALS] = {401, "invalid_credentials",
        {"That email and password do not match an account. Check them and try again.",
         "Ese correo electrónico y esa contraseña no coinciden con ninguna cuenta. Revíselos e intente de nuevo."}},
    [KITE_ERR_FORBIDDEN] = {403, "forbidden",
        {"Your account is not allowed to do this.",
         "Su cuenta no tiene permiso para hacer esto."}},
    [KITE_ERR_CSRF] = {403, "csrf_token_required",
        {"This request needs the X-Kite-CSRF header from your sign-in. Reload the page and try again.",
         "Esta solicitud necesita el encabezado X-Kite-CSRF de su inicio de sesión. Recargue la página e intente de "
         "nuevo."}},
    [KITE_ERR_NOT_FOUND] = {404, "not_found",
        {"Nothing was found at this address.",
         "No se encontró nada en esta dirección."}},
    [KITE_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed",
        {"This address does not accept that method.",
         "Esta dirección no acepta ese método."}},
    [KITE_ERR_CONFLICT] = {409, "conflict",
        {"This conflicts with something that already exists or changed meanwhile. Reload and try again.",
         "Esto choca con algo que ya existe o que cambió mientras tanto. Recargue e intente de nuevo."}},
    [KITE_ERR_EMAIL_TAKEN] = {409, "email_taken",
        {"An account with this email already exists. Sign in instead, or use another email.",
         "Ya existe una cuenta con este correo electrónico. Inicie sesión, o use otro correo."}},
    [KITE_ERR_GONE] = {410, "gone",
        {"This is no longer available.",
         "Esto ya no está disponible."}},
    [KITE_ERR_TOO_LARGE] = {413, "body_too_large",
        {"The request is too large. Send less data.",
         "La solicitud es demasiado grande. Envíe menos datos."}},
    [KITE_ERR_HEADERS_TOO_LARGE] = {413, "headers_too_large",
        {"The request headers are too large. Send fewer or shorter headers.",
         "Los encabezados de la solicitud son demasiado grandes. Envíe menos encabezados, o más cortos."}},
    [KITE_ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type",
        {"Send the body as application/json.",
         "Envíe el cuerpo como application/json."}},
    [KITE_ERR_RANGE_NOT_SATISFIABLE] = {416, "range_not_satisfiable",
        {"The part of the file asked for starts past its end. Ask for the whole file, or for a part within its "
         "size (Content-Range gives it).",
         "La parte del archivo que se pidió empieza después de su final. Pida el archivo entero, o una parte dentro "
         "de su tamaño (Content-Range lo indica)."}},
    [KITE_ERR_NOT_IMPLEMENTED] = {501, "not_implemented",
        {"Kite does not support what this request asks of the server.",
         "Kite no admite lo que esta solicitud le pide al servidor."}},
    [KITE_ERR_WEAK_PASSWORD] = {422, "weak_password",
        {"Choose a password of at least 10 characters that is not a common password.",
         "Elija una contraseña de al menos 10 caracteres que no sea una contraseña común."}},
    [KITE_ERR_THROTTLED] = {429, "too_many_attempts",
        {"Too many attempts. Wait a little and try again.",
         "Demasiados intentos. Espere un poco e intente de nuevo."}},
    [KITE_ERR_NOT_ON_PLATFORM] = {422, "facility_not_on_platform",
        {"This facility is not served by Kite, so Kite cannot do this for it. Look up the facility to see which service to use.",
         "Este centro no usa Kite, así que Kite no puede hacer esto por él. Busque el centro para ver qué servicio "
         "debe usar."}},
    [KITE_ERR_RESIDENT_EXISTS] = {409, "resident_exists",
        {"A resident with this number is already on this facility's roster.",
         "Ya hay un residente con este número en la lista de este centro."}},
    [KITE_ERR_RESIDENT_MUST_INVITE] = {403, "resident_must_invite",
        {"At this facility, the person inside starts contact: ask them to send an invitation to your email from their tablet.",
         "En este centro, la persona que está adentro inicia el contacto: pídale que le envíe una invitación a su "
         "correo desde su tableta."}},
    [KITE_ERR_CONTACT_MUST_REQUEST] = {403, "contact_must_request",
        {"At this facility, family and friends start contact: they send a request, which you can approve.",
         "En este centro, la familia y los amigos inician el contacto: ellos envían una solicitud, que usted puede "
         "aprobar."}},
    [KITE_ERR_NAME_LOOKUP_NOT_ALLOWED] = {403, "lookup_by_name_not_allowed",
        {"This facility only allows finding a person by their resident number. Ask them or the facility for it.",
         "Este centro solo permite buscar a una persona por su número de residente. Pídaselo a la persona o al "
         "centro."}},
    [KITE_ERR_CONTACT_LIMIT_REACHED] = {422, "contact_limit_reached",
        {"The contact list is full under this facility's rules. A contact must be removed before another is added.",
         "La lista de contactos está llena según las reglas de este centro. Hay que quitar un contacto antes de "
         "agregar otro."}},
    [KITE_ERR_CONTACT_BLOCKED] = {403, "contact_blocked",
        {"Contact between these people is blocked, so this cannot be done.",
         "El contacto entre estas personas está bloqueado, así que no se puede hacer esto."}},
    [KITE_ERR_ALREADY_CONTACTS] = {409, "already_contacts",
        {"You are already approved contacts.",
         "Ustedes ya son contactos aprobados."}},
    [KITE_ERR_INVITATION_EXPIRED] = {410, "invitation_expired",
        {"This invitation has expired. Ask the person who invited you to send a new one.",
         "Esta invitación venció. Pida a la persona que le invitó que le envíe una nueva."}},
    [KITE_ERR_RESET_LINK_EXPIRED] = {410, "reset_link_expired",
        {"This password reset link has expired or was already used. Ask for a new one from the sign-in page.",
         "Este enlace para cambiar la contraseña venció o ya se usó. Pida uno nuevo desde la página de inicio de "
         "sesión."}},
    [KITE_ERR_VERIFICATION_LINK_EXPIRED] = {410, "verification_link_expired",
        {"This link has expired or was already used.",
         "Este enlace venció o ya se usó."}},
    [KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED] = {410, "email_change_link_expired",
        {"This link has expired or was already used.",
         "Este enlace venció o ya se usó."}},
    [KITE_ERR_EMAIL_NOT_VERIFIED] = {403, "email_not_verified",
        {"Confirm your email address first.",
         "Primero confirme su dirección de correo electrónico."}},
    [KITE_ERR_ACCOUNT_HAS_BALANCE] = {409, "account_has_balance",
        {"Your account still holds money. Spend it or refund it first, then delete your account.",
         "Su cuenta todavía tiene dinero. Úselo o pida el reembolso primero, y después elimine su cuenta."}},
    [KITE_ERR_INVITATION_USED] = {409, "invitation_already_used",
        {"This invitation was already accepted or withdrawn. Sign in to see your contacts.",
         "Esta invitación ya fue aceptada o retirada. Inicie sesión para ver sus contactos."}},
    [KITE_ERR_INVITATION_NOT_FOR_YOU] = {403, "invitation_not_for_you",
        {"This invitation was sent to another email address. Sign in with the account for that address.",
         "Esta invitación se envió a otra dirección de correo. Inicie sesión con la cuenta de esa dirección."}},
    [KITE_ERR_ALREADY_DECIDED] = {409, "already_decided",
        {"This was already decided. Reload to see the current state.",
         "Esto ya se decidió. Recargue para ver cómo está ahora."}},
    [KITE_ERR_RESIDENT_UNREACHABLE] = {409, "resident_unreachable",
        {"This person can no longer be reached on Kite: they were released or moved to a facility Kite does not serve.",
         "Ya no se puede contactar a esta persona por Kite: salió en libertad o la trasladaron a un centro que Kite "
         "no atiende."}},
    [KITE_ERR_CONTACT_NOT_ACTIVE] = {409, "contact_not_active",
        {"You cannot write to this contact now: the contact was removed or is suspended. See your contacts for details.",
         "No puede escribir a este contacto ahora: el contacto fue quitado o está suspendido. Vea sus contactos para "
         "más detalles."}},
    [KITE_ERR_MESSAGE_TOO_LONG] = {422, "message_too_long",
        {"The message is longer than this facility allows. Shorten it, or send it as two messages.",
         "El mensaje es más largo de lo que permite este centro. Acórtelo, o envíelo en dos mensajes."}},
    [KITE_ERR_ATTACHMENTS_NOT_ALLOWED] = {422, "attachments_not_allowed",
        {"This facility does not accept photos with messages, or not this many. Send the text alone.",
         "Este centro no acepta fotos con los mensajes, o no tantas. Envíe solo el texto."}},
    [KITE_ERR_DAILY_LIMIT_REACHED] = {429, "daily_limit_reached",
        {"You reached this facility's limit of messages per day. You can send again tomorrow.",
         "Llegó al límite de mensajes por día de este centro. Podrá enviar de nuevo mañana."}},
    [KITE_ERR_IDEMPOTENCY_KEY_REUSED] = {422, "idempotency_key_reused",
        {"This Idempotency-Key was already used for a different request. Use a new key for a new request.",
         "Esta Idempotency-Key ya se usó para otra solicitud. Use una clave nueva para una solicitud nueva."}},
    [KITE_ERR_INSUFFICIENT_FUNDS] = {402, "insufficient_funds",
        {"Your balance is too low for this, so nothing was charged. Add money to your account, then try again.",
         "Su saldo no alcanza para esto, así que no se cobró nada. Agregue dinero a su cuenta e intente de nuevo."}},
    [KITE_ERR_CARD_DECLINED] = {402, "card_declined",
        {"The card company declined this payment, so nothing was charged. Use another card.",
         "La compañía de la tarjeta rechazó este pago, así que no se cobró nada. Use otra tarjeta."}},
    [KITE_ERR_PAYMENT_FAILED] = {502, "payment_failed",
        {"The card company could not be reached, so nothing was charged. Try again in a few minutes.",
         "No se pudo comunicar con la compañía de la tarjeta, así que no se cobró nada. Intente de nuevo en unos "
         "minutos."}},
    [KITE_ERR_PAYMENTS_UNAVAILABLE] = {503, "payments_unavailable",
        {"Payments are not available right now, so nothing was charged. Try again later.",
         "Los pagos no están disponibles en este momento, así que no se cobró nada. Intente más tarde."}},
    [KITE_ERR_BAD_IMAGE] = {422, "invalid_image",
        {"This file is not a photo Kite can accept. Send a JPEG, PNG or WebP picture within the size limit.",
         "Este archivo no es una foto que Kite pueda aceptar. Envíe una imagen JPEG, PNG o WebP que no pase del "
         "tamaño permitido."}},
    [KITE_ERR_BAD_VIDEO] = {422, "invalid_video",
        {"This file is not a video Kite can accept. Send a WebM or MP4 video of at most 30 seconds.",
         "Este archivo no es un video que Kite pueda aceptar. Envíe un video WebM o MP4 de 30 segundos como máximo."}},
    [KITE_ERR_TWO_FACTOR_REQUIRED] = {401, "two_factor_required",
        {"This account signs in with a code from its authenticator app too. Enter the current code, or a recovery code.",
         "Esta cuenta inicia sesión también con un código de su aplicación de autenticación. Escriba el código actual, "
         "o un código de recuperación."}},
    [KITE_ERR_TWO_FACTOR_INVALID] = {401, "invalid_two_factor_code",
        {"That code is not right, or it was already used. Wait for the next code in your authenticator app and try again.",
         "Ese código no es correcto, o ya se usó. Espere el siguiente código en su aplicación de autenticación e intente "
         "de nuevo."}},
    [KITE_ERR_TWO_FACTOR_ENROLLMENT_REQUIRED] = {403, "two_factor_enrollment_required",
        {"Staff accounts must set up two-factor sign-in first. Open the two-factor page and follow its steps.",
         "Las cuentas del personal deben configurar primero el inicio de sesión en dos pasos. Abra la página de dos "
         "pasos y siga sus instrucciones."}},
    [KITE_ERR_SESSION_EXPIRED] = {401, "session_expired",
        {"You were signed out after 30 minutes without activity. Sign in again.",
         "Se cerró su sesión después de 30 minutos sin actividad. Inicie sesión de nuevo."}},
    [KITE_ERR_BUSY] = {503, "busy",
        {"Kite is busy right now. Try again in a moment.",
         "Kite está ocupado en este momento. Intente de nuevo en un momento."}},
    [KITE_ERR_STORE] = {500, "store_error",
        {"Kite could not read or save data. Nothing was changed; try again later.",
         "Kite no pudo leer ni guardar los datos. No se cambió nada; intente más tarde."}},
    [KITE_ERR_STORE_FULL] = {507, "storage_full",
        {"Kite's storage is full, so this was not saved. Nothing saved before is lost; try again later.",
         "El almacenamiento de Kite está lleno, así que esto no se guardó. No se perdió nada de lo guardado antes; intente más tarde."}},
    [KITE_ERR_STORE_READ_ONLY] = {503, "store_read_only",
        {"Kite can show data but cannot save anything right now, so this was not saved. Try again later.",
         "Kite puede mostrar datos pero ahora no puede guardar nada, así que esto no se guardó. Intente más tarde."}},
    [KITE_ERR_OUTCOME_UNKNOWN] = {503, "outcome_unknown",
        {"The connection to Kite's store was lost while this was being saved, so it may or may not have been saved. "
         "Check before doing it again; a payment sent again with the same Idempotency-Key is never charged twice.",
         "Se perdió la conexión con los datos de Kite mientras se guardaba esto, así que puede que se haya guardado "
         "o no. Revise antes de hacerlo de nuevo; un pago enviado otra vez con la misma Idempotency-Key nunca se "
         "cobra dos veces."}},
    [KITE_ERR_IO] = {500, "io_error",
        {"Kite could not read or write a file.",
         "Kite no pudo leer ni escribir un archivo."}},
    [KITE_ERR_INTERNAL] = {500, "internal_error",
        {"Something went wrong inside Kite. Nothing was changed; try again later.",
         "Algo falló dentro de Kite. No se cambió nada; intente más tarde."}},
};

static int err_valid(kite_err err)
{
    return (int)err >= 0 && err < KITE_ERR__COUNT && error_table[err].code != NULL;
}

bool kite_err_is_store_failure(kite_err err)
{
    return err == KITE_ERR_STORE || err == KITE_ERR_STORE_FULL || err == KITE_ERR_STORE_READ_ONLY ||
           err == KITE_ERR_BUSY || err == KITE_ERR_OUTCOME_UNKNOWN;
}

int kite_err_status(kite_err err)
{
    return err_valid(err) ? error_table[err].status : 500;
}

const char *kite_err_code(kite_err err)
{
    return err_valid(err) ? error_table[err].code : "internal_error";
}

const char *kite_err_message_in(kite_err err, fault_lang lang)
{
    if ((unsigned)lang >= FAULT_LANG_COUNT)
        lang = FAULT_LANG_EN;
    return error_table[err_valid(err) ? err : KITE_ERR_INTERNAL].message[lang];
}

const char *kite_err_message(kite_err err)
{
    return kite_err_message_in(err, FAULT_LANG_EN);
}

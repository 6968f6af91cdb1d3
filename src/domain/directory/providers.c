#include "domain/directory/providers.h"

#include <string.h>

const char *const facility_services[] = {"messaging", "phone", "video", "money", "photos"};
const size_t facility_service_count = sizeof facility_services / sizeof facility_services[0];

static const provider builtin[] = {
    {0, "kite", "Kite", "this Kite deployment", NULL, "messaging,phone,money,photos",
     "Create a free Kite account with your email, name and phone number.\n"
     "Follow the facility's rule for adding a contact: accept an invitation from your loved one, "
     "or find them by their resident number and send a request.\n"
     "Once you are an approved contact, write messages here; staff review them before delivery.\n"
     "For calls, open a prepaid phone account for the number your loved one calls and deposit into it: "
     "there is no fee, and you can take back what you do not use at any time.\n"
     "To send money to their trust account, give their resident number and last name: the fee is shown "
     "before you pay."},
    {0, "corrlinks", "CorrLinks", "Advanced Technologies Group", "https://www.corrlinks.com", "messaging",
     "You cannot start contact: the person inside must add your email on their TRULINCS terminal.\n"
     "Watch for the invitation email from CorrLinks and create a free account at corrlinks.com.\n"
     "Accept the invitation within 30 days, or ask them to send a new one.\n"
     "Messages are reviewed before delivery; each side pays for the messages it sends."},
    {0, "jpay", "JPay", "Securus Technologies", "https://www.jpay.com", "messaging,video,money,photos",
     "Create a free JPay account at jpay.com or in the JPay app.\n"
     "Add your loved one by their state and inmate ID number.\n"
     "Buy stamps: each message costs a stamp per page, photos cost extra.\n"
     "Messages are reviewed by the facility before delivery."},
    {0, "connectnetwork", "ConnectNetwork", "ViaPath Technologies (GTL)", "https://www.connectnetwork.com",
     "messaging,phone,video,money,photos",
     "Create a free account at connectnetwork.com with your email, full name and phone number.\n"
     "Search for your loved one by name and facility and add them.\n"
     "They approve you, or a short review period passes.\n"
     "Buy message credits in bundles; messages are reviewed before delivery."},
    {0, "gettingout", "GettingOut", "ViaPath Technologies (GTL)", "https://www.gettingout.com",
     "messaging,video,money,photos",
     "Create a free account at gettingout.com or in the GettingOut app.\n"
     "Find your loved one by facility and name or ID and add them.\n"
     "Messages are limited in length and reviewed before delivery."},
    {0, "securus", "Securus Technologies", "Securus Technologies", "https://securustech.online",
     "phone,video,messaging,money",
     "Create a free Securus Online account.\n"
     "Open a prepaid phone account or eMessaging for the facility and add funds.\n"
     "Calls and messages are recorded or reviewed by the facility."},
    {0, "access_corrections", "Access Corrections", "Keefe Group", "https://www.accesscorrections.com",
     "money,messaging",
     "Create an account at accesscorrections.com.\n"
     "Send money to your loved one's trust account with their ID number and last name; a fee applies."},
    {0, "smart_communications", "Smart Communications", "Smart Communications", "https://www.smartinmate.com",
     "messaging,video,photos",
     "Create an account at smartinmate.com.\n"
     "Find your loved one by facility and name, then send messages or photos; staff review them."},
    {0, "icsolutions", "ICSolutions", "Inmate Calling Solutions", "https://icsonline.icsolutions.com",
     "phone,video,money",
     "Create an account at icsonline.icsolutions.com and open a prepaid calling account for the facility."},
    {0, "pigeonly", "Pigeonly", "Pigeonly", "https://pigeonly.com", "phone,photos",
     "Create an account at pigeonly.com for lower-cost calls and printed photos mailed to the facility."},
    {0, "unknown", "Not known yet", "", NULL, "",
     "Kite does not know yet which platform this facility uses.\n"
     "Call the facility and ask which company handles electronic messages, phone and money.\n"
     "Until then, physical mail always works: write to the address shown, with the person's full name and ID number."},
    {0, "none", "Physical mail only", "", NULL, "",
     "This facility has no electronic service of this kind.\n"
     "Write a letter to the facility address with the person's full name and ID number."},
};

/*
 * The built-in rows' words in Spanish, by slug: a name only where it is words
 * rather than a company's name.  Shown only while the stored row still holds
 * Kite's own English (provider_in_language): an operator's correction is a
 * fact Kite cannot translate, and is shown as written.
 */
static const struct {
    const char *slug;
    const char *name; /* NULL: the company's name, the same in every language */
    const char *how_to;
} builtin_es[] = {
    {"kite", NULL,
     "Cree una cuenta gratis de Kite con su correo electrónico, su nombre y su número de teléfono.\n"
     "Siga la regla del centro para agregar un contacto: acepte una invitación de su ser querido, o búsquelo "
     "por su número de residente y envíe una solicitud.\n"
     "Cuando sea un contacto aprobado, escriba sus mensajes aquí; el personal los revisa antes de entregarlos.\n"
     "Para las llamadas, abra una cuenta telefónica prepagada para el número al que llama su ser querido y "
     "deposite en ella: no hay cargo, y puede recuperar lo que no use cuando quiera.\n"
     "Para enviar dinero a su cuenta de fondos, indique su número de residente y su apellido: el cargo se "
     "muestra antes de pagar."},
    {"corrlinks", NULL,
     "Usted no puede iniciar el contacto: la persona que está adentro debe agregar su correo electrónico en "
     "su terminal TRULINCS.\n"
     "Espere el correo de invitación de CorrLinks y cree una cuenta gratis en corrlinks.com.\n"
     "Acepte la invitación dentro de 30 días, o pídale que le envíe una nueva.\n"
     "Los mensajes se revisan antes de entregarlos; cada lado paga por los mensajes que envía."},
    {"jpay", NULL,
     "Cree una cuenta gratis de JPay en jpay.com o en la aplicación de JPay.\n"
     "Agregue a su ser querido con su estado y su número de identificación de recluso.\n"
     "Compre estampillas: cada mensaje cuesta una estampilla por página, y las fotos cuestan más.\n"
     "El centro revisa los mensajes antes de entregarlos."},
    {"connectnetwork", NULL,
     "Cree una cuenta gratis en connectnetwork.com con su correo electrónico, su nombre completo y su número "
     "de teléfono.\n"
     "Busque a su ser querido por nombre y centro, y agréguelo.\n"
     "Esa persona lo aprueba, o pasa un corto período de revisión.\n"
     "Compre créditos para mensajes en paquetes; los mensajes se revisan antes de entregarlos."},
    {"gettingout", NULL,
     "Cree una cuenta gratis en gettingout.com o en la aplicación GettingOut.\n"
     "Busque a su ser querido por centro y nombre o número, y agréguelo.\n"
     "Los mensajes tienen un largo limitado y se revisan antes de entregarlos."},
    {"securus", NULL,
     "Cree una cuenta gratis de Securus Online.\n"
     "Abra una cuenta telefónica prepagada o eMessaging para el centro y agregue fondos.\n"
     "El centro graba o revisa las llamadas y los mensajes."},
    {"access_corrections", NULL,
     "Cree una cuenta en accesscorrections.com.\n"
     "Envíe dinero a la cuenta de fondos de su ser querido con su número de identificación y su apellido; se "
     "cobra un cargo."},
    {"smart_communications", NULL,
     "Cree una cuenta en smartinmate.com.\n"
     "Busque a su ser querido por centro y nombre, y después envíe mensajes o fotos; el personal los revisa."},
    {"icsolutions", NULL,
     "Cree una cuenta en icsonline.icsolutions.com y abra una cuenta de llamadas prepagada para el centro."},
    {"pigeonly", NULL,
     "Cree una cuenta en pigeonly.com para llamadas más baratas y fotos impresas enviadas por correo al centro."},
    {"unknown", "Todavía no se sabe",
     "Kite todavía no sabe qué plataforma usa este centro.\n"
     "Llame al centro y pregunte qué empresa maneja los mensajes electrónicos, el teléfono y el dinero.\n"
     "Mientras tanto, el correo postal siempre funciona: escriba a la dirección indicada, con el nombre "
     "completo y el número de identificación de la persona."},
    {"none", "Solo correo postal",
     "Este centro no tiene un servicio electrónico de este tipo.\n"
     "Escriba una carta a la dirección del centro con el nombre completo y el número de identificación de la "
     "persona."},
};

static const provider *builtin_of(const char *slug)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i].slug, slug) == 0)
            return &builtin[i];
    return NULL;
}

const char *provider_name_in(const char *slug, const char *name, fault_lang lang)
{
    const provider *own = slug != NULL && name != NULL ? builtin_of(slug) : NULL;
    if (lang != FAULT_LANG_ES || own == NULL || strcmp(own->name, name) != 0)
        return name;
    for (size_t i = 0; i < sizeof builtin_es / sizeof builtin_es[0]; i++)
        if (strcmp(builtin_es[i].slug, slug) == 0)
            return builtin_es[i].name != NULL ? builtin_es[i].name : name;
    return name;
}

void provider_in_language(provider *p, fault_lang lang)
{
    const provider *own = builtin_of(p->slug);
    if (lang != FAULT_LANG_ES || own == NULL)
        return;
    p->name = provider_name_in(p->slug, p->name, lang);
    for (size_t i = 0; i < sizeof builtin_es / sizeof builtin_es[0]; i++)
        if (strcmp(builtin_es[i].slug, p->slug) == 0 && p->how_to != NULL && strcmp(own->how_to, p->how_to) == 0)
            p->how_to = builtin_es[i].how_to;
}

/*
 * The other providers' rows are facts an operator may correct; Kite's own row
 * says what this software does, so a newer Kite updates the services it lists
 * (money and phone are listed only once they work).
 */
kite_err providers_seed(db_conn *conn)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < sizeof builtin / sizeof builtin[0]; i++) {
        const provider *p = &builtin[i];
        db_stmt *s = db_prepare(conn,
            "INSERT INTO providers (slug, name, operator, website, services, how_to)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO UPDATE SET services = excluded.services,"
            " how_to = excluded.how_to WHERE providers.slug = 'kite'");
        db_bind_text(s, 1, p->slug);
        db_bind_text(s, 2, p->name);
        db_bind_text(s, 3, p->operator_name);
        db_bind_text(s, 4, p->website);
        db_bind_text(s, 5, p->services);
        db_bind_text(s, 6, p->how_to);
        err = db_exec(s);
    }
    return err;
}

kite_err providers_list(db_conn *conn, arena *a, provider **items, size_t *count)
{
    size_t cap = 16, n = 0;
    provider *list = arena_alloc(a, cap * sizeof *list);
    db_stmt *s = db_prepare(conn, "SELECT id, slug, name, operator, website, services, how_to FROM providers ORDER BY id");
    while (db_next(s)) {
        list = arena_grow(a, list, n, &cap, sizeof *list);
        provider *p = &list[n++];
        p->id = db_int(s, 0);
        p->slug = arena_strdup(a, db_text(s, 1));
        p->name = arena_strdup(a, db_text(s, 2));
        p->operator_name = arena_strdup(a, db_text(s, 3));
        p->website = arena_strdup(a, db_text(s, 4));
        p->services = arena_strdup(a, db_text(s, 5));
        p->how_to = arena_strdup(a, db_text(s, 6));
    }
    *items = list;
    *count = n;
    return db_done(s);
}

kite_err provider_id_by_slug(db_conn *conn, const char *slug, int64_t *id)
{
    db_stmt *s = db_prepare(conn, "SELECT id FROM providers WHERE slug = $1");
    db_bind_text(s, 1, slug);
    bool found = db_next(s);
    if (found)
        *id = db_int(s, 0);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

struct provider_query {
    arena *a;
    provider *items;
    size_t count;
};

static kite_err all_tx(db_conn *conn, void *data)
{
    struct provider_query *q = data;
    return providers_list(conn, q->a, &q->items, &q->count);
}

kite_err providers_all(const kite_ctx *ctx, arena *a, provider **items, size_t *count)
{
    struct provider_query q = {a, NULL, 0};
    kite_err err = db_read(ctx->store, all_tx, &q);
    *items = q.items;
    *count = q.count;
    return err;
}

kite_err provider_by_slug(const kite_ctx *ctx, arena *a, const char *slug, provider *out)
{
    provider *items;
    size_t count;
    kite_err err = providers_all(ctx, a, &items, &count);
    for (size_t i = 0; err == KITE_OK && i < count; i++) {
        if (strcmp(items[i].slug, slug) == 0) {
            *out = items[i];
            return KITE_OK;
        }
    }
    return err != KITE_OK ? err : KITE_ERR_NOT_FOUND;
}
